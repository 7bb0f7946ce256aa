import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, it } from 'node:test'
import fc from 'fast-check'
import { Attributes, compressionOf } from '../protocol/records/batch-header.ts'
import { ErrorCode, isTributaryError } from '../util/errors.ts'
import { ManualClock } from '../util/clock.ts'
import { batchOf, decodeBatches, readAllBatches, readAllRecords, removeDir, segmentFiles, snapshotDir, tempDir, testConfig, valueOf } from './log-test-support.ts'
import { defaultFsyncHooks, type FsyncHooks } from './durable-io.ts'
import { type FilePartitionLog, openPartitionLog } from './partition-log.ts'
import { type LogConfig } from './types.ts'

const DAY = 24 * 3600 * 1000
const dirs: string[] = []
const logs: FilePartitionLog[] = []

async function open(overrides: Partial<LogConfig>, clock: ManualClock, dir = tempDir()): Promise<FilePartitionLog> {
  if (!dirs.includes(dir)) dirs.push(dir)
  const log = await openPartitionLog(dir, testConfig({ cleanupPolicy: 'compact', segmentMs: DAY, ...overrides }), { clock })
  logs.push(log)
  return log
}

afterEach(async () => {
  for (const log of logs.splice(0)) await log.close().catch(() => undefined)
  for (const dir of dirs.splice(0)) removeDir(dir)
})

type Entry = [string, string | null]

/** What a consumer must see after compacting everything below `sealedEnd`. */
function expectedView(entries: readonly Entry[], sealedEnd: number): [number, string, string | null][] {
  const last = new Map<string, number>()
  entries.forEach(([k], offset) => {
    if (offset < sealedEnd) last.set(k, offset)
  })
  return entries.flatMap(([k, v], offset) => (offset >= sealedEnd || last.get(k) === offset ? [[offset, k, v] as [number, string, string | null]] : []))
}

function view(log: FilePartitionLog): [number, string, string | null][] {
  return readAllRecords(log).map((r) => [r.offset, r.key?.toString() ?? '', valueOf(r)])
}

describe('compaction', () => {
  it('keeps the newest record per key at its original offset; a read at a removed offset gets the next batch', async () => {
    const clock = new ManualClock(10 * DAY)
    const log = await open({ segmentBytes: 400, indexIntervalBytes: 0 }, clock)
    const entries: Entry[] = []
    for (let i = 0; i < 60; i++) {
      const key = `k${(i * 7) % 5}`
      entries.push([key, `v${i}`])
      await log.append(batchOf([[key, `v${i}`]]))
    }
    await log.runMaintenance(clock.now() + DAY)
    assert.equal(log.logEndOffset, 60)
    assert.deepEqual(view(log), expectedView(entries, 60))
    assert.equal(view(log).length, 5)
    const kept = view(log).map(([o]) => o)
    for (let offset = 0; offset < 60; offset++) {
      const [batch] = decodeBatches(log.read(offset, 1).records)
      const next = kept.find((o) => o >= offset)
      assert.equal(batch?.records[0]?.offset, next, `read at ${offset}`)
    }
    assert.equal(log.logStartOffset, 0, 'compaction does not move the log start')
  })

  it('matches the model for random keys, tombstones and batch shapes, across restarts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.option(fc.string({ maxLength: 12 }), { nil: null })), { minLength: 1, maxLength: 6 }), {
          minLength: 1,
          maxLength: 25,
        }),
        fc.constantFrom('none', 'gzip', 'lz4', 'snappy', 'zstd'),
        async (batches, compression) => {
          const clock = new ManualClock(10 * DAY)
          const dir = tempDir()
          const log = await openPartitionLog(dir, testConfig({ cleanupPolicy: 'compact', segmentBytes: 500, segmentMs: DAY }), { clock })
          try {
            const entries: Entry[] = []
            for (const b of batches) {
              entries.push(...b)
              await log.append(batchOf(b, compression === 'none' ? {} : { compression }))
            }
            const sealedEnd = log.logEndOffset
            await log.runMaintenance(clock.now() + DAY)
            assert.deepEqual(view(log), expectedView(entries, sealedEnd))
            for (const b of readAllBatches(log)) assert.equal(compressionOf(b.attributes), compressionOf(batchOf([['k', 'v']], compression === 'none' ? {} : { compression }).readInt16BE(21)))
            await log.close({ clean: false })
            const reopened = await openPartitionLog(dir, log.config, { clock })
            try {
              assert.deepEqual(view(reopened), expectedView(entries, sealedEnd))
              assert.equal(reopened.logEndOffset, sealedEnd)
            } finally {
              await reopened.close()
            }
          } finally {
            await log.close()
            removeDir(dir)
          }
        },
      ),
      { numRuns: 20 },
    )
  })

  it('keeps a tombstone for deleteRetentionMs after compaction, then drops it', async () => {
    const clock = new ManualClock(10 * DAY)
    const log = await open({ segmentBytes: 300, deleteRetentionMs: DAY }, clock)
    await log.append(batchOf([['gone', 'value'], ['stay', 'x']], { timestamp: 5000 }))
    await log.append(batchOf([['gone', null]], { timestamp: 6000 }))
    const t0 = clock.now() + DAY
    await log.runMaintenance(t0)
    let records = readAllRecords(log)
    assert.deepEqual(records.map((r) => [r.offset, r.key?.toString(), valueOf(r)]), [[1, 'stay', 'x'], [2, 'gone', null]])
    assert.equal(records[1]?.timestamp, 6000, 'stamping the delete horizon keeps record timestamps')
    const tombstoneBatch = readAllBatches(log).find((b) => b.baseOffset === 2)
    assert.ok(tombstoneBatch !== undefined && (tombstoneBatch.attributes & Attributes.DELETE_HORIZON) !== 0)
    await log.runMaintenance(t0 + DAY - 1)
    assert.equal(readAllRecords(log).length, 2, 'still within deleteRetentionMs')
    await log.runMaintenance(t0 + DAY)
    records = readAllRecords(log)
    assert.deepEqual(records.map((r) => [r.offset, valueOf(r)]), [[1, 'x']])
    assert.equal(log.logEndOffset, 3)
    assert.equal((await log.append(batchOf([['n', 'v']]))).baseOffset, 3)
  })

  it('keeps producer ids and sequences, and an emptied last batch of a producer', async () => {
    const clock = new ManualClock(10 * DAY)
    const log = await open({ segmentBytes: 4000 }, clock)
    const idem = { producerId: 77, producerEpoch: 3 }
    await log.append(batchOf([['a', '1'], ['b', '1']], { ...idem, baseSequence: 0 }))
    await log.append(batchOf([['a', '2']], { ...idem, baseSequence: 2 }))
    await log.append(batchOf([['c', '1']], { producerId: 78, producerEpoch: 0, baseSequence: 0 }))
    await log.append(batchOf([['c', '2']], { producerId: 78, producerEpoch: 0, baseSequence: 1 }))
    await log.append(batchOf([['a', '3']]))
    await log.runMaintenance(clock.now() + DAY)
    const batches = readAllBatches(log)
    const shape = batches.map((b) => [b.baseOffset, b.lastOffset, b.records.map((r) => r.offset)])
    assert.deepEqual(shape, [
      [0, 1, [1]],
      [2, 2, []],
      [4, 4, [4]],
      [5, 5, [5]],
    ])
    const raw = log.read(0, 1 << 20).records
    assert.equal(Number(raw.readBigInt64BE(43)), 77)
    assert.equal(raw.readInt16BE(51), 3)
    assert.equal(raw.readInt32BE(53), 0)
  })

  it('rewrites nothing when nothing changed, and swaps files crash-safely otherwise', async () => {
    const clock = new ManualClock(10 * DAY)
    const log = await open({ segmentBytes: 300 }, clock)
    for (let i = 0; i < 20; i++) await log.append(batchOf([[`k${i % 3}`, `v${i}`]]))
    await log.runMaintenance(clock.now() + DAY)
    const files = snapshotDir(log.dir)
    const inodes = segmentFiles(log.dir).map((f) => fs.statSync(path.join(log.dir, f)).ino)
    await log.runMaintenance(clock.now() + 2 * DAY)
    assert.deepEqual(snapshotDir(log.dir), files)
    assert.deepEqual(segmentFiles(log.dir).map((f) => fs.statSync(path.join(log.dir, f)).ino), inodes)
    assert.equal(fs.readdirSync(log.dir).filter((n) => n.includes('.cleaned')).length, 0)
  })

  it('leaves the old segment and valid index files behind when a rewrite fails midway', async () => {
    const clock = new ManualClock(10 * DAY)
    let failDirSync = false
    const hooks: FsyncHooks = {
      ...defaultFsyncHooks,
      syncDir: async (dir) => {
        // Only the compaction's own directory syncs fail (while its .cleaned files exist).
        const compacting = fs.readdirSync(dir).some((n) => n.endsWith('.cleaned'))
        if (failDirSync && compacting) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
        await defaultFsyncHooks.syncDir(dir)
      },
    }
    const dir = tempDir()
    dirs.push(dir)
    const config = testConfig({ cleanupPolicy: 'compact', segmentMs: DAY, segmentBytes: 400, indexIntervalBytes: 60 })
    const log = await openPartitionLog(dir, config, { clock, fsyncHooks: hooks })
    const entries: Entry[] = []
    for (let i = 0; i < 30; i++) {
      entries.push([`k${i % 4}`, `v${i}`])
      await log.append(batchOf([entries.at(-1) as Entry]))
    }
    await log.runMaintenance(clock.now() + DAY)
    const compacted = view(log)
    for (let i = 30; i < 45; i++) {
      entries.push([`k${i % 4}`, `v${i}`])
      await log.append(batchOf([entries.at(-1) as Entry]))
    }
    const before = view(log)
    failDirSync = true
    await assert.rejects(log.runMaintenance(clock.now() + 2 * DAY), (e) => isTributaryError(e, ErrorCode.STORAGE_ERROR))
    failDirSync = false
    assert.deepEqual(view(log), before, 'reads are unaffected')
    assert.notDeepEqual(before, compacted)
    assert.equal(fs.readdirSync(dir).filter((n) => n.includes('.cleaned')).length, 0)
    await log.close()
    const reopened = await openPartitionLog(dir, config, { clock })
    try {
      assert.equal(reopened.recoveryReport.segmentsScanned, 0, 'the rewritten index files are valid')
      assert.deepEqual(view(reopened), before)
      await reopened.runMaintenance(clock.now() + 3 * DAY)
      assert.deepEqual(view(reopened), expectedView(entries, 45))
    } finally {
      await reopened.close()
    }
  })
})
