import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { BATCH_OVERHEAD, BatchOffsets, type CompressionName, checkBatch } from './batch-header.ts'
import { type DecodedRecord, decodeRecords, encodeRecordBatch, forEachBatch } from './record-batch.ts'

const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const R = BATCH_OVERHEAD

function isCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof TributaryError && err.code === code
}

const corrupt = isCode(ErrorCode.CORRUPT_RECORD)

function decode(batch: Buffer, options?: Parameters<typeof decodeRecords>[6]): DecodedRecord[] {
  const out: DecodedRecord[] = []
  decodeRecords(batch, 0, batch.length, 't', 0, out, options)
  return out
}

/** One record 'k' -> 'v' without headers: record bytes at R: len, attr, tsDelta, offDelta, keyLen, 'k', valLen, 'v', headers. */
function oneRecord(): Buffer {
  return encodeRecordBatch([{ key: 'k', value: 'v' }], { timestamp: 1 })
}

function sampleBatch(compression: CompressionName): Buffer {
  return encodeRecordBatch(
    Array.from({ length: 12 }, (_, i) => ({
      key: i % 3 === 0 ? null : `key-${i}`,
      value: i % 4 === 0 ? null : Buffer.alloc(i * 7, i),
      headers: i % 2 === 0 ? [] : [{ key: 'h', value: `v${i}` }, { key: 'n', value: null }],
      timestamp: 1_700_000_000_000 + i * 13,
    })),
    { compression, baseOffset: 1000 },
  )
}

/** Decodes, requiring that any failure is a TributaryError and leaves `out` as it was. */
function decodeOrTributaryError(batch: Buffer): void {
  const out: DecodedRecord[] = []
  const sentinel = { topic: 's', partition: 0, offset: -1, timestamp: 0, key: null, value: null, headers: [] }
  out.push(sentinel)
  try {
    decodeRecords(batch, 0, batch.length, 't', 0, out)
  } catch (err) {
    if (!(err instanceof TributaryError)) throw err
    assert.equal(out.length, 1)
    assert.equal(out[0], sentinel)
  }
}

describe('decodeRecords validation', () => {
  it('rejects a count above the records present, and records left over below it', () => {
    const batch = sampleBatch('none')
    const more = Buffer.from(batch)
    more.writeInt32BE(13, BatchOffsets.recordsCount)
    more.writeInt32BE(12, BatchOffsets.lastOffsetDelta)
    assert.throws(() => decode(more), corrupt)
    const fewer = Buffer.from(batch)
    fewer.writeInt32BE(11, BatchOffsets.recordsCount)
    assert.throws(() => decode(fewer), /remain after the last/)
    const negative = Buffer.from(batch)
    negative.writeInt32BE(-1, BatchOffsets.recordsCount)
    assert.throws(() => decode(negative), /negative record count/)
  })

  it('rejects a count larger than the bytes could hold before looking at any record', () => {
    const batch = oneRecord()
    batch.writeInt32BE(0x7fffffff, BatchOffsets.recordsCount)
    batch.writeInt32BE(0x7fffffff, BatchOffsets.lastOffsetDelta)
    assert.throws(() => decode(batch), /cannot fit/)
  })

  it('requires offset deltas to increase and stay within lastOffsetDelta', () => {
    const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { timestamp: 1 })
    const lower = Buffer.from(batch)
    lower.writeInt32BE(0, BatchOffsets.lastOffsetDelta)
    assert.throws(() => decode(lower), /cannot fit offset deltas/)
    // Record 2 starts at R + 8; its offset delta byte is at R + 8 + 3. Zig-zag 0 = 0x00.
    const repeated = Buffer.from(batch)
    assert.equal(repeated[R + 11], 0x02)
    repeated[R + 11] = 0x00
    assert.throws(() => decode(repeated), /offset delta 0 \(previous 0/)
    const beyond = encodeRecordBatch([{ value: 'a', offsetDelta: 5 }], { timestamp: 1 })
    beyond.writeInt32BE(4, BatchOffsets.lastOffsetDelta)
    assert.throws(() => decode(beyond), /offset delta 5/)
  })

  it('accepts -1 as a null length but rejects other negative lengths', () => {
    const nullKey = oneRecord()
    nullKey[R + 4] = 0x01 // key length -1; 'k' now belongs to nothing, so the record no longer adds up
    assert.throws(() => decode(nullKey), corrupt)
    const minus2 = oneRecord()
    minus2[R + 4] = 0x03 // key length -2
    assert.throws(() => decode(minus2), /negative key length -2/)
    const valueMinus3 = oneRecord()
    valueMinus3[R + 6] = 0x05
    assert.throws(() => decode(valueMinus3), /negative value length -3/)
  })

  it('rejects lengths running past their record even when the batch has more bytes', () => {
    const batch = encodeRecordBatch([{ key: 'k', value: 'v' }, { key: 'second', value: 'record' }], { timestamp: 1 })
    const long = Buffer.from(batch)
    long[R + 4] = 0x10 // key length 8: would run into the next record
    assert.throws(() => decode(long), /key of 8 bytes runs past the end of its record/)
    const recordTooLong = Buffer.from(batch)
    recordTooLong[R] = 0x7e // record length 63
    assert.throws(() => decode(recordTooLong), corrupt)
    const recordTooShort = Buffer.from(batch)
    recordTooShort[R] = 0x0c // record length 6: fields need 8
    assert.throws(() => decode(recordTooShort), corrupt)
  })

  it('rejects null header keys, negative or impossible header counts', () => {
    const batch = encodeRecordBatch([{ value: 'v', headers: [{ key: 'h', value: 'x' }] }], { timestamp: 1 })
    // Record: len, attr, ts, off, key(-1), valLen, 'v', headerCount @ R+7, hkLen @ R+8, 'h', hvLen, 'x'
    assert.equal(batch[R + 7], 0x02)
    const nullKey = Buffer.from(batch)
    nullKey[R + 8] = 0x01
    assert.throws(() => decode(nullKey), /header key length -1/)
    const negative = Buffer.from(batch)
    negative[R + 7] = 0x01
    assert.throws(() => decode(negative), /header count -1/)
    const many = Buffer.from(batch)
    many[R + 7] = 0x7e
    assert.throws(() => decode(many), /header count 63/)
  })

  it('rejects framing that disagrees with the given size, a wrong magic, an unknown codec', () => {
    const batch = oneRecord()
    const out: DecodedRecord[] = []
    assert.throws(() => decodeRecords(batch, 0, batch.length - 1, 't', 0, out), /disagrees/)
    assert.throws(() => decodeRecords(batch, 0, batch.length + 1, 't', 0, out), /no complete batch/)
    assert.throws(() => decodeRecords(batch, 1, batch.length, 't', 0, out), /no complete batch/)
    assert.throws(() => decodeRecords(batch, -1, batch.length, 't', 0, out), /no complete batch/)
    const magic = Buffer.from(batch)
    magic[BatchOffsets.magic] = 1
    assert.throws(() => decode(magic), /magic/)
    for (const codec of [5, 6, 7]) {
      const unknown = Buffer.from(batch)
      unknown.writeInt16BE(codec, BatchOffsets.attributes)
      assert.throws(() => decode(unknown), isCode(ErrorCode.UNSUPPORTED_COMPRESSION))
    }
  })

  it('checks the CRC only when asked to', () => {
    const batch = oneRecord()
    batch[R + 7] = 0x77 // value 'v' -> 'w'
    assert.equal(decode(batch)[0]?.value?.toString(), 'w')
    assert.throws(() => decode(batch, { verifyCrc: true }), /CRC/)
  })

  it('fails a compressed batch with RECORD_TOO_LARGE when its records inflate past the limit', () => {
    const batch = encodeRecordBatch([{ value: Buffer.alloc(100_000) }], { timestamp: 1, compression: 'zstd' })
    assert.throws(() => decode(batch, { maxUncompressedBytes: 50_000 }), isCode(ErrorCode.RECORD_TOO_LARGE))
    assert.equal(decode(batch, { maxUncompressedBytes: 200_000 }).length, 1)
  })

  it('never reads beyond pos + size: a batch inside other bytes decodes alone', () => {
    const a = sampleBatch('none')
    const b = encodeRecordBatch([{ value: 'next batch' }], { timestamp: 1, baseOffset: 1012 })
    const junk = Buffer.alloc(13, 0xee)
    const all = Buffer.concat([junk, a, b, junk])
    const out: DecodedRecord[] = []
    decodeRecords(all, junk.length, a.length, 't', 0, out)
    assert.equal(out.length, 12)
    // A count one too high must fail rather than take a record from the batch that follows.
    all.writeInt32BE(13, junk.length + BatchOffsets.recordsCount)
    all.writeInt32BE(12, junk.length + BatchOffsets.lastOffsetDelta)
    assert.throws(() => decodeRecords(all, junk.length, a.length, 't', 0, []), corrupt)
  })

  it('skips control batches unless asked for them', () => {
    const control = encodeRecordBatch([{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 5]) }], {
      timestamp: 1,
      control: true,
      transactional: true,
      producerId: 4,
      producerEpoch: 0,
    })
    assert.deepEqual(decode(control), [])
    assert.equal(decode(control, { includeControl: true }).length, 1)
  })

  it('leaves the output array untouched when a later record is corrupt', () => {
    const batch = sampleBatch('none')
    batch[batch.length - 1] = 0x7f // the last record's last header value length: now runs past the batch
    decodeOrTributaryError(batch)
    assert.throws(() => decode(batch), corrupt)
  })
})

describe('truncated and damaged batches', () => {
  for (const compression of CODECS) {
    it(`${compression}: every truncation is incomplete for framing and corrupt for decoding`, () => {
      const batch = sampleBatch(compression)
      for (let cut = 0; cut < batch.length; cut++) {
        const part = batch.subarray(0, cut)
        assert.equal(checkBatch(part, 0, cut).kind, 'incomplete', `checkBatch at ${cut}`)
        assert.equal(forEachBatch(part, 0, cut, () => assert.fail('visited a partial batch')), 0)
        assert.throws(() => decodeRecords(part, 0, cut, 't', 0, []), corrupt, `decode at ${cut}`)
        // The same cut with its length field patched to agree: the records themselves come up short.
        if (cut >= BATCH_OVERHEAD) {
          const patched = Buffer.from(part)
          patched.writeInt32BE(cut - 12, BatchOffsets.batchLength)
          assert.throws(() => decodeRecords(patched, 0, cut, 't', 0, []), corrupt, `patched decode at ${cut}`)
        }
      }
    })
  }

  it('a flip of any byte covered by the CRC makes checkBatch report corruption', () => {
    const batch = sampleBatch('gzip')
    for (let i = BatchOffsets.attributes; i < batch.length; i++) {
      const broken = Buffer.from(batch)
      broken[i] = (broken[i] as number) ^ 0x40
      const check = checkBatch(broken, 0, broken.length)
      assert.equal(check.kind, 'corrupt', `byte ${i}`)
    }
    // baseOffset and partitionLeaderEpoch sit outside the CRC: the broker rewrites them in place.
    const moved = Buffer.from(batch)
    moved[BatchOffsets.baseOffset + 7] = (moved[BatchOffsets.baseOffset + 7] as number) ^ 1
    moved[BatchOffsets.partitionLeaderEpoch] = 5
    assert.equal(checkBatch(moved, 0, moved.length).kind, 'ok')
  })

  it('random damage to valid batches of every codec only raises TributaryErrors', () => {
    const samples = CODECS.map(sampleBatch)
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.integer({ min: BatchOffsets.attributes, max: 5000 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (sample, flips) => {
          const broken = Buffer.from(sample)
          for (const [at, mask] of flips) {
            const i = BatchOffsets.attributes + ((at - BatchOffsets.attributes) % (broken.length - BatchOffsets.attributes))
            broken[i] = (broken[i] as number) ^ mask
          }
          decodeOrTributaryError(broken)
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('random bytes behind a plausible header only raise TributaryErrors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: BATCH_OVERHEAD, maxLength: 400 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: -2, max: 40 }), (bytes, codec, count) => {
        const batch = Buffer.from(bytes)
        batch.writeInt32BE(batch.length - 12, BatchOffsets.batchLength)
        batch[BatchOffsets.magic] = 2
        batch.writeInt16BE(codec, BatchOffsets.attributes)
        batch.writeInt32BE(count, BatchOffsets.recordsCount)
        batch.writeInt32BE(Math.max(count, 0) + 1, BatchOffsets.lastOffsetDelta)
        decodeOrTributaryError(batch)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('forEachBatch', () => {
  const batches = [0, 1, 2].map((i) => encodeRecordBatch([{ value: `batch ${i}` }], { timestamp: 1, baseOffset: i }))
  const all = Buffer.concat(batches)

  it('visits each complete batch in order and stops quietly at a partial tail', () => {
    const tail = all.subarray(0, all.length - 5)
    const seen: number[] = []
    const end = forEachBatch(tail, 0, tail.length, (pos, size) => {
      seen.push(pos)
      assert.equal(size, (batches[seen.length - 1] as Buffer).length)
    })
    assert.deepEqual(seen, [0, batches[0]?.length])
    assert.equal(end, (batches[0] as Buffer).length + (batches[1] as Buffer).length)
  })

  it('stops when visit returns false and reports where it stopped', () => {
    let visits = 0
    const end = forEachBatch(all, 0, all.length, () => {
      visits++
      return false
    })
    assert.equal(visits, 1)
    assert.equal(end, batches[0]?.length)
  })

  it('throws CORRUPT_RECORD for a damaged batch in the middle, with or without CRC checks', () => {
    const broken = Buffer.from(all)
    const second = (batches[0] as Buffer).length
    broken[second + 70] = (broken[second + 70] as number) ^ 1
    assert.throws(() => forEachBatch(broken, 0, broken.length, () => undefined), /batch at position \d+: CRC/)
    assert.equal(forEachBatch(broken, 0, broken.length, () => undefined, { verifyCrc: false }), all.length)
    broken[second + BatchOffsets.magic] = 0
    assert.throws(() => forEachBatch(broken, 0, broken.length, () => undefined, { verifyCrc: false }), /magic/)
  })

  it('treats a length field above maxBatchSize as corruption', () => {
    assert.throws(() => forEachBatch(all, 0, all.length, () => undefined, { maxBatchSize: 50 }), corrupt)
    assert.throws(() => forEachBatch(all, 0, all.length, () => undefined, { maxBatchSize: 50, verifyCrc: false }), corrupt)
  })

  it('rejects a range outside the buffer', () => {
    assert.throws(() => forEachBatch(all, 0, all.length + 1, () => undefined), isCode(ErrorCode.INVALID_ARGUMENT))
    assert.throws(() => forEachBatch(all, 10, 5, () => undefined), isCode(ErrorCode.INVALID_ARGUMENT))
  })
})
