import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import fc from 'fast-check'
import { ManualClock } from '../util/clock.ts'
import { ErrorCode, isTributaryError } from '../util/errors.ts'
import { batchOf, readAllRecords, removeDir, segmentFiles, tempDir, testConfig, valueOf } from './log-test-support.ts'
import { openPartitionLog } from './partition-log.ts'
import { type RetentionSegment, segmentsToDelete } from './retention.ts'
import { type LogConfig } from './types.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir)
})

function newDir(): string {
  const dir = tempDir()
  dirs.push(dir)
  return dir
}

const DAY = 24 * 3600 * 1000

describe('retention on a real log', () => {
  it('deletes whole sealed segments older than retentionMs by their largest timestamp, and the log start survives a restart', async () => {
    const dir = newDir()
    const clock = new ManualClock(90 * DAY)
    const config = testConfig({ segmentBytes: 200, retentionMs: 10 * DAY })
    const log = await openPartitionLog(dir, config, { clock })
    // Ten records a day apart, stamped with their (client) create time.
    for (let d = 0; d < 10; d++) await log.append(batchOf([`day-${d}`], { timestamp: 80 * DAY + d * DAY }))
    const segments = segmentFiles(dir).length
    assert.ok(segments >= 4)
    assert.equal(await log.runMaintenance(clock.now()), 0, 'no segment is wholly older than 10 days at day 90')
    const deleted = await log.runMaintenance(95 * DAY)
    assert.ok(deleted > 0)
    assert.equal(segmentFiles(dir).length, segments - deleted)
    const lso = log.logStartOffset
    assert.equal(segmentFiles(dir)[0], `${String(lso).padStart(20, '0')}.log`)
    const kept = readAllRecords(log)
    assert.ok(kept.every((r) => r.timestamp >= 85 * DAY - 2 * DAY), 'only segments wholly older than the cutoff went')
    assert.ok(kept.some((r) => r.timestamp < 85 * DAY), 'a segment straddling the cutoff stays whole')
    assert.throws(() => log.read(lso - 1, 100), (e) => isTributaryError(e, ErrorCode.OFFSET_OUT_OF_RANGE))
    await log.close({ clean: false })
    const reopened = await openPartitionLog(dir, config, { clock })
    assert.equal(reopened.logStartOffset, lso)
    assert.deepEqual(readAllRecords(reopened).map(valueOf), kept.map(valueOf))
    await reopened.close()
  })

  it('deletes the oldest segments while the log is larger than retentionBytes, never the active one', async () => {
    const dir = newDir()
    const clock = new ManualClock(0)
    const log = await openPartitionLog(dir, testConfig({ segmentBytes: 300, retentionBytes: 700 }), { clock })
    for (let i = 0; i < 20; i++) await log.append(batchOf([`value-${i}`]))
    await log.runMaintenance(clock.now())
    assert.ok(log.sizeInBytes <= 700, `size ${log.sizeInBytes}`)
    assert.equal(log.logEndOffset, 20)
    log.updateConfig({ ...log.config, retentionBytes: 0 })
    await log.runMaintenance(clock.now())
    assert.equal(segmentFiles(dir).length, 1, 'the active segment stays')
    assert.ok(log.sizeInBytes > 0)
    assert.equal(readAllRecords(log).at(-1)?.offset, 19)
    await log.close()
  })

  it('rolls and deletes an active segment whose data has all expired; offsets continue', async () => {
    const dir = newDir()
    const clock = new ManualClock(10 * DAY)
    const config = testConfig({ retentionMs: DAY })
    const log = await openPartitionLog(dir, config, { clock })
    await log.append(batchOf(['old-1', 'old-2'], { timestamp: 10 * DAY }))
    assert.equal(await log.runMaintenance(10 * DAY + DAY / 2), 0)
    assert.equal(await log.runMaintenance(12 * DAY), 1)
    assert.equal(log.logStartOffset, 2)
    assert.equal(log.logEndOffset, 2)
    assert.equal(log.read(2, 100).records.length, 0)
    assert.equal((await log.append(batchOf(['new']))).baseOffset, 2)
    await log.close()
    const reopened = await openPartitionLog(dir, config, { clock })
    assert.equal(reopened.logStartOffset, 2)
    assert.deepEqual(readAllRecords(reopened).map(valueOf), ['new'])
    await reopened.close()
  })

  it('leaves compact-only topics alone', async () => {
    const dir = newDir()
    const clock = new ManualClock(100 * DAY)
    const log = await openPartitionLog(dir, testConfig({ cleanupPolicy: 'compact', segmentBytes: 300, retentionMs: 1, retentionBytes: 1 }), { clock })
    for (let i = 0; i < 10; i++) await log.append(batchOf([[`k${i}`, `v${i}`]], { timestamp: 0 }))
    assert.equal(await log.runMaintenance(clock.now()), 0)
    assert.equal(log.logStartOffset, 0)
    await log.close()
  })
})

describe('segmentsToDelete', () => {
  const arbSegments = fc.array(fc.record({ size: fc.integer({ min: 0, max: 1000 }), count: fc.integer({ min: 1, max: 10 }), ts: fc.integer({ min: -1, max: 1000 }) }), {
    minLength: 1,
    maxLength: 12,
  })

  function build(specs: { size: number; count: number; ts: number }[]): RetentionSegment[] {
    let offset = 0
    return specs.map((s) => {
      const seg = { baseOffset: offset, nextOffset: offset + s.count, size: s.size, maxTimestamp: s.ts }
      offset += s.count
      return seg
    })
  }

  it('removes a prefix of sealed segments at or below the high watermark, as the rules say', () => {
    fc.assert(
      fc.property(arbSegments, fc.integer({ min: -1, max: 1000 }), fc.integer({ min: -1, max: 5000 }), fc.integer({ min: 0, max: 130 }), (specs, retentionMs, retentionBytes, hw) => {
        const segs = build(specs)
        const config = testConfig({ retentionMs, retentionBytes }) satisfies LogConfig
        const n = segmentsToDelete(segs, config, 1000, hw)
        assert.ok(n >= 0 && n <= segs.length - 1, 'never the active segment')
        for (const s of segs.slice(0, n)) assert.ok(s.nextOffset <= hw, 'never data above the high watermark')
        const remaining = segs.slice(n).reduce((a, s) => a + s.size, 0)
        const next = segs[n] as RetentionSegment
        const nextDeletable = n < segs.length - 1 && next.nextOffset <= hw
        if (nextDeletable) {
          const expiredNext = retentionMs >= 0 && next.maxTimestamp < 1000 - retentionMs && segs.slice(0, n + 1).every((s) => s.maxTimestamp < 1000 - retentionMs)
          assert.ok(!expiredNext, 'an expired prefix segment is not left behind')
          assert.ok(retentionBytes < 0 || remaining <= retentionBytes, 'no deletable segment is left while the log is over the size limit')
        }
      }),
      { numRuns: 300 },
    )
  })
})
