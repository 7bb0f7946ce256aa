import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, it } from 'node:test'
import fc from 'fast-check'
import { Attributes, BatchOffsets, computeBatchCrc } from '../protocol/records/batch-header.ts'
import { ManualClock } from '../util/clock.ts'
import { ErrorCode, isTributaryError } from '../util/errors.ts'
import {
  batchOf, batchSizes, decodeBatches, readAllBatches, readAllRecords, removeDir, segmentFiles, snapshotDir, tempDir, testConfig, valueOf,
} from './log-test-support.ts'
import { type FilePartitionLog, openPartitionLog } from './partition-log.ts'
import { type LogConfig } from './types.ts'

const dirs: string[] = []
const logs: FilePartitionLog[] = []

async function open(config: Partial<LogConfig> = {}, clock = new ManualClock(1_000_000), dir = tempDir()): Promise<FilePartitionLog> {
  if (!dirs.includes(dir)) dirs.push(dir)
  const log = await openPartitionLog(dir, testConfig(config), { clock })
  logs.push(log)
  return log
}

afterEach(async () => {
  for (const log of logs.splice(0)) await log.close()
  for (const dir of dirs.splice(0)) removeDir(dir)
})

describe('append and read', () => {
  it('assigns offsets in place and serves exactly the stored bytes', async () => {
    const log = await open()
    const first = batchOf(['a', 'b', 'c'])
    const second = batchOf(['d'])
    const r1 = await log.append(first)
    const r2 = await log.append(second)
    assert.deepEqual([r1.baseOffset, r1.lastOffset, r2.baseOffset, r2.lastOffset], [0, 2, 3, 3])
    assert.equal(r1.logAppendTime, -1)
    assert.equal(log.logEndOffset, 4)
    assert.equal(log.highWatermark, 4)
    const { records } = log.read(0, 1 << 20)
    assert.deepEqual(records, Buffer.concat([first, second]))
    assert.equal(Number(records.readBigInt64BE(first.length)), 3)
    assert.deepEqual(readAllRecords(log).map((r) => [r.offset, valueOf(r)]), [[0, 'a'], [1, 'b'], [2, 'c'], [3, 'd']])
  })

  it('takes several batches in one append with contiguous offsets', async () => {
    const log = await open()
    await log.append(batchOf(['x']))
    const r = await log.append(Buffer.concat([batchOf(['a', 'b']), batchOf(['c']), batchOf(['d', 'e', 'f'])]))
    assert.deepEqual([r.baseOffset, r.lastOffset], [1, 6])
    assert.deepEqual(readAllBatches(log).map((b) => [b.baseOffset, b.lastOffset]), [[0, 0], [1, 2], [3, 3], [4, 6]])
  })

  it('returns the batch containing an offset, whole, and stops at maxBytes between batches', async () => {
    const log = await open({ indexIntervalBytes: 0 })
    const batches = [batchOf(['a', 'b', 'c']), batchOf(['d', 'e']), batchOf(['f'])]
    for (const b of batches) await log.append(b)
    const [s0, s1] = batchSizes(Buffer.concat(batches)) as [number, number]
    assert.equal(decodeBatches(log.read(1, 1 << 20).records)[0]?.baseOffset, 0)
    assert.equal(decodeBatches(log.read(4, 1 << 20).records)[0]?.baseOffset, 3)
    assert.equal(log.read(0, 1).records.length, s0, 'the first batch comes whole even when larger than maxBytes')
    assert.equal(log.read(0, s0 + s1 - 1).records.length, s0)
    assert.equal(log.read(0, s0 + s1).records.length, s0 + s1)
  })

  it('returns nothing at the high watermark and OFFSET_OUT_OF_RANGE outside the log', async () => {
    const log = await open()
    await log.append(batchOf(['a', 'b']))
    const atEnd = log.read(2, 1000)
    assert.equal(atEnd.records.length, 0)
    assert.equal(atEnd.highWatermark, 2)
    assert.throws(() => log.read(3, 1000), (e) => isTributaryError(e, ErrorCode.OFFSET_OUT_OF_RANGE))
    assert.throws(() => log.read(-1, 1000), (e) => isTributaryError(e, ErrorCode.OFFSET_OUT_OF_RANGE))
  })

  it('finds every offset through the sparse index, whatever the batch sizes and index interval', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 1000, max: 4000 }),
        async (counts, indexIntervalBytes, segmentBytes) => {
          const dir = tempDir()
          const log = await openPartitionLog(dir, testConfig({ indexIntervalBytes, segmentBytes }), { clock: new ManualClock(0) })
          try {
            const ranges: [number, number][] = []
            for (const [i, n] of counts.entries()) {
              const r = await log.append(batchOf(Array.from({ length: n }, (_, k) => `v${i}-${k}`.repeat(1 + (k % 3)))))
              ranges.push([r.baseOffset, r.lastOffset])
            }
            for (let offset = 0; offset < log.logEndOffset; offset++) {
              const got = decodeBatches(log.read(offset, 1).records).at(0)
              const want = ranges.find(([b, l]) => b <= offset && offset <= l)
              assert.deepEqual([got?.baseOffset, got?.lastOffset], want)
            }
          } finally {
            await log.close()
            removeDir(dir)
          }
        },
      ),
      { numRuns: 25 },
    )
  })

  it('finds the first batch whose max timestamp reaches a time', async () => {
    const log = await open({ indexIntervalBytes: 0 })
    await log.append(batchOf(['a'], { timestamp: 100 }))
    await log.append(batchOf(['b', 'c'], { timestamp: 200 }))
    await log.append(batchOf(['d'], { timestamp: 150 }))
    await log.append(batchOf(['e'], { timestamp: 300 }))
    assert.deepEqual(log.offsetForTimestamp(50), { offset: 0, timestamp: 100 })
    assert.deepEqual(log.offsetForTimestamp(100), { offset: 0, timestamp: 100 })
    assert.deepEqual(log.offsetForTimestamp(101), { offset: 1, timestamp: 200 })
    assert.deepEqual(log.offsetForTimestamp(201), { offset: 4, timestamp: 300 })
    assert.equal(log.offsetForTimestamp(301), undefined)
  })
})

describe('segments', () => {
  it('rolls by size and reads across segments', async () => {
    const log = await open({ segmentBytes: 400 })
    const values: string[] = []
    for (let i = 0; i < 30; i++) {
      values.push(`value-${i}`)
      await log.append(batchOf([`value-${i}`]))
    }
    const files = segmentFiles(log.dir)
    assert.ok(files.length > 3, `expected several segments, got ${files.length}`)
    for (const f of files) assert.ok(fs.statSync(path.join(log.dir, f)).size <= 400)
    assert.equal(segmentFiles(log.dir, '.index').length, files.length)
    assert.equal(segmentFiles(log.dir, '.timeindex').length, files.length)
    assert.deepEqual(readAllRecords(log).map(valueOf), values)
    assert.deepEqual(readAllRecords(log).map((r) => r.offset), values.map((_, i) => i))
  })

  it('rolls by age on append and in maintenance, using the injected clock', async () => {
    const clock = new ManualClock(1_000_000)
    const log = await open({ segmentMs: 60_000 }, clock)
    await log.append(batchOf(['a']))
    clock.advance(59_999)
    await log.append(batchOf(['b']))
    assert.equal(segmentFiles(log.dir).length, 1)
    clock.advance(1)
    await log.append(batchOf(['c']))
    assert.equal(segmentFiles(log.dir).length, 2)
    assert.ok(segmentFiles(log.dir).includes('00000000000000000002.log'))
    await log.runMaintenance(clock.now() + 30_000)
    assert.equal(segmentFiles(log.dir).length, 2, 'the young segment stays')
    await log.runMaintenance(clock.now() + 60_000)
    assert.equal(segmentFiles(log.dir).length, 3)
    await log.runMaintenance(clock.now() + 120_000)
    assert.equal(segmentFiles(log.dir).length, 3, 'an empty active segment never rolls')
    assert.deepEqual(readAllRecords(log).map(valueOf), ['a', 'b', 'c'])
  })

  it('stamps LogAppendTime batches with the broker time and a valid CRC', async () => {
    const clock = new ManualClock(5_000_000)
    const log = await open({ messageTimestampType: 'LogAppendTime' }, clock)
    const r = await log.append(batchOf(['a', 'b'], { timestamp: 42 }))
    assert.equal(r.logAppendTime, 5_000_000)
    const [batch] = decodeBatches(log.read(0, 1000).records)
    assert.ok(batch !== undefined)
    assert.notEqual(batch.attributes & Attributes.TIMESTAMP_LOG_APPEND, 0)
    assert.deepEqual(batch.records.map((x) => x.timestamp), [5_000_000, 5_000_000])
    assert.deepEqual(log.offsetForTimestamp(4_999_999), { offset: 0, timestamp: 5_000_000 })
  })

  it('reopens after a clean close trusting the files, and continues at the end', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const config = testConfig({ segmentBytes: 500, indexIntervalBytes: 100 })
    const clock = new ManualClock(0)
    let log = await openPartitionLog(dir, config, { clock })
    for (let i = 0; i < 20; i++) await log.append(batchOf([`r${i}`], { timestamp: 1000 + i }))
    await log.close()
    assert.ok(fs.existsSync(path.join(dir, '.clean-shutdown')))
    const before = snapshotDir(dir)
    log = await openPartitionLog(dir, config, { clock })
    assert.equal(log.recoveryReport.cleanShutdown, true)
    assert.equal(log.recoveryReport.segmentsScanned, 0)
    assert.ok(!fs.existsSync(path.join(dir, '.clean-shutdown')), 'the marker is gone while the log is open')
    for (const name of before.keys()) {
      if (name.endsWith('.log') || name.endsWith('index')) assert.deepEqual(fs.readFileSync(path.join(dir, name)), before.get(name), name)
    }
    assert.equal(log.logEndOffset, 20)
    assert.deepEqual(log.offsetForTimestamp(1010), { offset: 10, timestamp: 1010 })
    assert.equal((await log.append(batchOf(['next']))).baseOffset, 20)
    assert.deepEqual(readAllRecords(log).map(valueOf), [...Array.from({ length: 20 }, (_, i) => `r${i}`), 'next'])
    await log.close({ clean: false })
    log = await openPartitionLog(dir, config, { clock })
    logs.push(log)
    assert.equal(log.recoveryReport.cleanShutdown, false)
    assert.ok(log.recoveryReport.segmentsScanned >= 1)
    assert.equal(log.logEndOffset, 21)
  })

  it('refuses a second open of the same directory in one process', async () => {
    const log = await open()
    await assert.rejects(openPartitionLog(log.dir, testConfig(), { clock: new ManualClock(0) }), (e) => isTributaryError(e, ErrorCode.LOG_LOCKED))
  })
})

describe('bad input leaves the log unchanged', () => {
  const good = (): Buffer => batchOf(['ok', 'fine'])
  const cases: [string, () => Buffer, string][] = [
    ['empty buffer', () => Buffer.alloc(0), ErrorCode.INVALID_RECORD],
    ['oversized batch', () => batchOf(['x'.repeat(3000)]), ErrorCode.RECORD_TOO_LARGE],
    ['corrupted CRC', () => flip(good(), 70), ErrorCode.CORRUPT_RECORD],
    ['wrong magic', () => set8(good(), BatchOffsets.magic, 1), ErrorCode.CORRUPT_RECORD],
    ['truncated buffer', () => good().subarray(0, 40), ErrorCode.CORRUPT_RECORD],
    ['truncated second batch', () => Buffer.concat([good(), good().subarray(0, 70)]), ErrorCode.CORRUPT_RECORD],
    ['trailing garbage', () => Buffer.concat([good(), Buffer.from([1, 2, 3])]), ErrorCode.CORRUPT_RECORD],
    ['bad batch after a good one', () => Buffer.concat([good(), flip(good(), 65)]), ErrorCode.CORRUPT_RECORD],
    ['record count disagreeing with offsets', () => withCrc(set32(good(), BatchOffsets.lastOffsetDelta, 5)), ErrorCode.INVALID_RECORD],
    ['control batch from a client', () => batchOf(['m'], { control: true }), ErrorCode.INVALID_RECORD],
    ['unknown compression codec', () => withCrc(set16(good(), BatchOffsets.attributes, 6)), ErrorCode.UNSUPPORTED_COMPRESSION],
  ]
  for (const [name, make, code] of cases) {
    it(name, async () => {
      const log = await open({ maxMessageBytes: 2000, indexIntervalBytes: 0 })
      await log.append(batchOf(['before']))
      const files = snapshotDir(log.dir)
      const state = [log.logEndOffset, log.highWatermark, log.sizeInBytes]
      await assert.rejects(log.append(make()), (e) => isTributaryError(e, code as ErrorCode))
      assert.deepEqual([log.logEndOffset, log.highWatermark, log.sizeInBytes], state)
      assert.deepEqual(snapshotDir(log.dir), files)
      assert.equal((await log.append(good())).baseOffset, 1, 'the log still takes good input')
    })
  }

  it('accepts control batches from the broker itself', async () => {
    const log = await open()
    const r = await log.append(batchOf(['m'], { control: true }), { allowControl: true })
    assert.equal(r.baseOffset, 0)
  })

  it('rejects keyless records on a compacted topic', async () => {
    const log = await open({ cleanupPolicy: 'compact' })
    const mixed: (string | [string, string])[] = [['k', 'v'], 'no-key']
    await assert.rejects(log.append(batchOf(mixed)), (e) => isTributaryError(e, ErrorCode.INVALID_RECORD))
    await assert.rejects(log.append(batchOf(['no-key'], { compression: 'gzip' })), (e) => isTributaryError(e, ErrorCode.INVALID_RECORD))
    assert.equal(log.logEndOffset, 0)
    assert.equal((await log.append(batchOf([['k', 'v']], { compression: 'lz4' }))).baseOffset, 0)
  })
})

function flip(buf: Buffer, at: number): Buffer {
  buf[at] = (buf[at] as number) ^ 0x10
  return buf
}

function set8(buf: Buffer, at: number, v: number): Buffer {
  buf.writeInt8(v, at)
  return buf
}

function set16(buf: Buffer, at: number, v: number): Buffer {
  buf.writeInt16BE(v, at)
  return buf
}

function set32(buf: Buffer, at: number, v: number): Buffer {
  buf.writeInt32BE(v, at)
  return buf
}

/** Recomputes the CRC so that only the semantic check can reject the batch. */
function withCrc(buf: Buffer): Buffer {
  buf.writeUInt32BE(computeBatchCrc(buf, 0, buf.length), BatchOffsets.crc)
  return buf
}
