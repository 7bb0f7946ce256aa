import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { crc32c } from '../../util/crc32c.ts'
import { Attributes, BATCH_OVERHEAD, BatchOffsets, CompressionCodec, type CompressionName, TimestampType, checkBatch, readBatchHeader } from './batch-header.ts'
import { decompress } from './compression.ts'
import {
  type DecodedRecord,
  type RecordBytes,
  type RecordInput,
  decodeRecordBatch,
  decodeRecords,
  encodeRecordBatch,
  forEachBatch,
  utf8Length,
} from './record-batch.ts'

const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/**
 * Four RecordBatch v2 batches fetched from a real Kafka broker, published with kafka-python's tests
 * (dpkp/kafka-python, test/record/test_records.py, record_batch_data_v2): value "123" at offset 0
 * (leader epoch 1); two empty values at offsets 1-2, 168 ms apart; "123" at offset 3; "hdr" with header
 * hkey=hval at offset 0 (a later broker, leader epoch 0).
 */
const KAFKA_BATCHES = Buffer.from(
  '00000000000000000000003b00000001020318a2700000000000000000015dff7b063c0000015dff7b063cffffffffffffffff' +
    'ffffffffffff00000001120000000106313233000000000000000001000000400000000202c85cbd230000000000010000015d' +
    'ff7cdd6c0000015dff7cde14ffffffffffffffffffffffffffff000000020c0000000100000e00d0020201000000000000000000' +
    '030000003b00000002022e0b85b70000000000000000015dff7ce79d0000015dff7ce79dffffffffffffffffffffffffffff0000' +
    '00011200000001063132330000000000000000000000004500000000025cd8ef520000000000000000016585b6f3c10000016585' +
    'b6f3c1ffffffffffffffffffffffffffff000000012600000001066864720208686b6579086876616c',
  'hex',
)

function bytesOf(v: RecordBytes | undefined): Buffer | null {
  if (v === null || v === undefined) return null
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v)
}

function decodeAll(batch: Buffer): DecodedRecord[] {
  const out: DecodedRecord[] = []
  decodeRecords(batch, 0, batch.length, 'topic', 3, out)
  return out
}

function isCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof TributaryError && err.code === code
}

/** Strings with any UTF-16 code unit, lone surrogates included. */
const anyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }).map((units) => String.fromCharCode(...units)),
)
const bytesArb: fc.Arbitrary<RecordBytes | undefined> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  anyString,
  fc.uint8Array({ maxLength: 200 }),
)
const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: bytesArb,
    value: bytesArb.map((v) => v ?? null),
    headers: fc.array(fc.record({ key: anyString, value: bytesArb.map((v) => v ?? null) }), { maxLength: 4 }),
    timestamp: fc.option(fc.integer({ min: 0, max: 2 ** 44 }), { nil: undefined }),
  },
  { requiredKeys: ['value'] },
)

describe('encodeRecordBatch / decodeRecords round trip', () => {
  it('decodes exactly what was encoded, for random records and every codec', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(...CODECS),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.integer({ min: 0, max: 2 ** 44 }),
        (records, compression, baseOffset, now) => {
          const batch = encodeRecordBatch(records, { compression, baseOffset, timestamp: now })
          assert.deepEqual(checkBatch(batch, 0, batch.length), { kind: 'ok', sizeInBytes: batch.length })
          const out = decodeAll(batch)
          assert.equal(out.length, records.length)
          records.forEach((rec, i) => {
            const got = out[i] as DecodedRecord
            assert.equal(got.topic, 'topic')
            assert.equal(got.partition, 3)
            assert.equal(got.offset, baseOffset + i)
            assert.equal(got.timestamp, rec.timestamp ?? now)
            assert.deepEqual(got.key, bytesOf(rec.key))
            assert.deepEqual(got.value, bytesOf(rec.value))
            assert.deepEqual(
              got.headers.map((h) => [h.key, h.value]),
              (rec.headers ?? []).map((h) => [Buffer.from(h.key, 'utf8').toString('utf8'), bytesOf(h.value)]),
            )
          })
        },
      ),
      { numRuns: 300 },
    )
  })

  it('measures strings exactly as Buffer.byteLength does (lone surrogates included)', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string({ unit: 'grapheme', maxLength: 100 }), fc.string({ maxLength: 200 })), (s) => {
        assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'))
      }),
      { numRuns: 2000 },
    )
  })

  it('returns subarrays of the batch for key and value, and one shared frozen empty headers array', () => {
    const batch = encodeRecordBatch([{ key: 'k', value: 'v1' }, { key: 'k2', value: 'v2' }], { timestamp: 1 })
    const [a, b] = decodeAll(batch) as [DecodedRecord, DecodedRecord]
    assert.equal(a.key?.buffer, batch.buffer)
    assert.equal(a.value?.buffer, batch.buffer)
    assert.equal(a.headers, b.headers)
    assert.ok(Object.isFrozen(a.headers))
    assert.deepEqual(Object.keys(a), ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers'])
  })

  it('appends to the output array and leaves earlier entries alone', () => {
    const out: DecodedRecord[] = []
    for (const base of [0, 10]) {
      const batch = encodeRecordBatch([{ value: `at ${base}` }, { value: `at ${base + 1}` }], { timestamp: 5, baseOffset: base })
      decodeRecords(batch, 0, batch.length, 't', 0, out)
    }
    assert.deepEqual(
      out.map((r) => [r.offset, r.value?.toString()]),
      [[0, 'at 0'], [1, 'at 1'], [10, 'at 10'], [11, 'at 11']],
    )
  })
})

describe('RecordBatch v2 as Kafka lays it out', () => {
  it('decodes batches written by a real Kafka broker, CRC included', () => {
    const seen: [number, number][] = []
    const records: DecodedRecord[] = []
    const withTail = Buffer.concat([KAFKA_BATCHES, Buffer.alloc(4)])
    const end = forEachBatch(withTail, 0, withTail.length, (pos, size) => {
      seen.push([pos, size])
      decodeRecords(withTail, pos, size, 'kp', 0, records, { verifyCrc: true })
    })
    assert.deepEqual(seen, [[0, 71], [71, 76], [147, 71], [218, 81]])
    assert.equal(end, KAFKA_BATCHES.length)
    assert.deepEqual(
      records.map((r) => [r.offset, r.timestamp, r.key, r.value?.toString(), r.headers.map((h) => [h.key, h.value?.toString()])]),
      [
        [0, 1503229838908, null, '123', []],
        [1, 1503229959532, null, '', []],
        [2, 1503229959700, null, '', []],
        [3, 1503229962141, null, '123', []],
        [0, 1535546684353, null, 'hdr', [['hkey', 'hval']]],
      ],
    )
  })

  it('re-encodes those records byte for byte, CRC included', () => {
    const header = (pos: number) => readBatchHeader(KAFKA_BATCHES, pos)
    const again = Buffer.concat([
      encodeRecordBatch([{ key: null, value: '123', timestamp: 1503229838908 }], { partitionLeaderEpoch: header(0).partitionLeaderEpoch }),
      encodeRecordBatch(
        [
          { value: Buffer.alloc(0), timestamp: 1503229959532 },
          { value: '', timestamp: 1503229959700 },
        ],
        { baseOffset: 1, partitionLeaderEpoch: header(71).partitionLeaderEpoch },
      ),
      encodeRecordBatch([{ value: '123', timestamp: 1503229962141 }], { baseOffset: 3, partitionLeaderEpoch: 2 }),
      encodeRecordBatch([{ value: 'hdr', headers: [{ key: 'hkey', value: 'hval' }], timestamp: 1535546684353 }], { partitionLeaderEpoch: 0 }),
    ])
    assert.equal(again.toString('hex'), KAFKA_BATCHES.toString('hex'))
  })

  it('sets baseTimestamp to the first record, maxTimestamp to the largest, deltas relative to the first', () => {
    const batch = encodeRecordBatch([{ value: 'a', timestamp: 5000 }, { value: 'b', timestamp: 4000 }, { value: 'c', timestamp: 9000 }])
    const h = readBatchHeader(batch, 0)
    assert.equal(h.baseTimestamp, 5000)
    assert.equal(h.maxTimestamp, 9000)
    assert.equal(h.lastOffsetDelta, 2)
    assert.equal(h.recordsCount, 3)
    assert.deepEqual(decodeAll(batch).map((r) => r.timestamp), [5000, 4000, 9000])
    // Records of 8 bytes each (length, attributes, timestamp delta, offset delta, key, value length, 'a',
    // header count): the first's timestampDelta is 0; the second's is -1000 (zig-zag 1999 = cf 0f).
    assert.equal(batch[BATCH_OVERHEAD + 2], 0)
    assert.deepEqual([...batch.subarray(BATCH_OVERHEAD + 10, BATCH_OVERHEAD + 12)], [0xcf, 0x0f])
  })

  it('fills the header: magic 2, length, epochs, producer fields, attributes, CRC-32C of [attributes, end)', () => {
    const batch = encodeRecordBatch([{ value: 'x', timestamp: 1 }], {
      baseOffset: 42,
      producerId: 7_000_000_000,
      producerEpoch: 3,
      baseSequence: 17,
      partitionLeaderEpoch: 9,
      transactional: true,
      compression: 'zstd',
    })
    const h = readBatchHeader(batch, 0)
    assert.deepEqual(
      { ...h, crc: 0 },
      {
        baseOffset: 42,
        sizeInBytes: batch.length,
        partitionLeaderEpoch: 9,
        magic: 2,
        crc: 0,
        attributes: CompressionCodec.zstd | Attributes.TRANSACTIONAL,
        lastOffsetDelta: 0,
        baseTimestamp: 1,
        maxTimestamp: 1,
        producerId: 7_000_000_000,
        producerEpoch: 3,
        baseSequence: 17,
        recordsCount: 1,
      },
    )
    assert.equal(h.crc, crc32c(batch, BatchOffsets.attributes, batch.length))
    const plain = readBatchHeader(encodeRecordBatch([{ value: 'x' }], { timestamp: 1 }), 0)
    assert.deepEqual([plain.producerId, plain.producerEpoch, plain.baseSequence, plain.partitionLeaderEpoch, plain.attributes], [-1, -1, -1, -1, 0])
  })

  it('compresses only the records: the payload inflates to the uncompressed batch\'s records', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `value number ${i}`, timestamp: 1000 + i }))
    const plain = encodeRecordBatch(records)
    for (const compression of CODECS.slice(1)) {
      const batch = encodeRecordBatch(records, { compression })
      const codec = (batch.readInt16BE(BatchOffsets.attributes) & Attributes.COMPRESSION_MASK) as CompressionCodec
      assert.equal(codec, CompressionCodec[compression as keyof typeof CompressionCodec])
      const inflated = decompress(codec, batch.subarray(BATCH_OVERHEAD), 1 << 20)
      assert.ok(inflated.equals(plain.subarray(BATCH_OVERHEAD)), compression)
      assert.ok(batch.subarray(BatchOffsets.attributes + 2, BATCH_OVERHEAD).equals(plain.subarray(BatchOffsets.attributes + 2, BATCH_OVERHEAD)))
    }
  })

  it('makes an uncompressed batch exactly header plus records, in a single buffer', () => {
    const batch = encodeRecordBatch([{ value: Buffer.alloc(100) }], { timestamp: 0 })
    // Body: attributes 1 + ts 1 + offset 1 + key 1 + value length 2 + value 100 + headers 1 = 107,
    // preceded by its length (107 zig-zags to 214: two bytes) = 109.
    assert.equal(batch.length, BATCH_OVERHEAD + 109)
    assert.equal(batch.readInt32BE(BatchOffsets.batchLength), batch.length - 12)
  })

  it('marks LogAppendTime batches and reports the append time for every record', () => {
    const batch = encodeRecordBatch([{ value: 'a', timestamp: 10 }, { value: 'b', timestamp: 20 }], {
      timestampType: TimestampType.LOG_APPEND_TIME,
      timestamp: 999,
    })
    const h = readBatchHeader(batch, 0)
    assert.ok((h.attributes & Attributes.TIMESTAMP_LOG_APPEND) !== 0)
    assert.equal(h.maxTimestamp, 999)
    assert.deepEqual(decodeAll(batch).map((r) => r.timestamp), [999, 999])
  })

  it('keeps explicit offset deltas (a compacted batch) and an empty batch that only holds its offsets', () => {
    const batch = encodeRecordBatch([{ value: 'a', offsetDelta: 0 }, { value: 'c', offsetDelta: 2 }, { value: 'f', offsetDelta: 5 }], {
      baseOffset: 100,
      timestamp: 1,
      lastOffsetDelta: 7,
    })
    assert.equal(readBatchHeader(batch, 0).lastOffsetDelta, 7)
    assert.deepEqual(decodeAll(batch).map((r) => r.offset), [100, 102, 105])
    const empty = encodeRecordBatch([], { baseOffset: 50, lastOffsetDelta: 4, timestamp: 3, producerId: 8, producerEpoch: 1 })
    assert.equal(checkBatch(empty, 0, empty.length).kind, 'ok')
    assert.deepEqual([readBatchHeader(empty, 0).recordsCount, readBatchHeader(empty, 0).lastOffsetDelta], [0, 4])
    assert.deepEqual(decodeAll(empty), [])
  })

  it('rejects bad input with INVALID_ARGUMENT before writing anything', () => {
    const bad: [RecordInput[], Parameters<typeof encodeRecordBatch>[1]][] = [
      [[{ value: 'x' }], {}],
      [[{ value: 'x', timestamp: 1.5 }], {}],
      [[{ value: 'x' }], { timestamp: 1, producerEpoch: 40000 }],
      [[{ value: 'x' }], { timestamp: 1, baseOffset: 2 ** 60 }],
      [[{ value: 'x', offsetDelta: 3 }, { value: 'y', offsetDelta: 3 }], { timestamp: 1 }],
      [[{ value: 'x', offsetDelta: 3 }], { timestamp: 1, lastOffsetDelta: 2 }],
      [[], { timestamp: 1 }],
      [[{ value: 'x' }], { timestampType: TimestampType.LOG_APPEND_TIME }],
      [[{ value: 'x', headers: [{ key: 5 as unknown as string, value: null }] }], { timestamp: 1 }],
      [[{ value: 42 as unknown as string }], { timestamp: 1 }],
      [[{ value: 'x', headers: [{ key: 'h', value: {} as unknown as string }] }], { timestamp: 1 }],
      [[undefined as unknown as RecordInput], { timestamp: 1 }],
    ]
    for (const [records, options] of bad) {
      assert.throws(() => encodeRecordBatch(records, options), isCode(ErrorCode.INVALID_ARGUMENT), JSON.stringify(records))
    }
    assert.throws(() => encodeRecordBatch([{ value: 'x' }], { timestamp: 1, compression: 'brotli' as CompressionName }), isCode(ErrorCode.UNSUPPORTED_COMPRESSION))
  })

  it('is not confused by a failed call: the next batch is still right', () => {
    assert.throws(() => encodeRecordBatch([{ value: 'a', headers: [{ key: 'h', value: 'v' }] }, { value: 'b', timestamp: Number.NaN }], { timestamp: undefined as unknown as number }))
    const batch = encodeRecordBatch([{ key: 'k', value: 'v', headers: [{ key: 'h', value: null }] }], { timestamp: 2 })
    const [r] = decodeAll(batch) as [DecodedRecord]
    assert.deepEqual([r.key?.toString(), r.value?.toString(), r.headers[0]?.key, r.headers[0]?.value], ['k', 'v', 'h', null])
  })
})

describe('decodeRecordBatch', () => {
  it('returns header and records after validating the CRC', () => {
    const batch = encodeRecordBatch([{ key: 'a', value: 'b', timestamp: 7 }], { baseOffset: 9, compression: 'lz4' })
    const { header, records } = decodeRecordBatch(batch, 0, { topic: 'x', partition: 2 })
    assert.equal(header.baseOffset, 9)
    assert.deepEqual(records.map((r) => [r.topic, r.partition, r.offset, r.key?.toString(), r.value?.toString()]), [['x', 2, 9, 'a', 'b']])
    const broken = Buffer.from(batch)
    broken[broken.length - 1] = (broken[broken.length - 1] as number) ^ 1
    assert.throws(() => decodeRecordBatch(broken), /CRC/)
  })
})
