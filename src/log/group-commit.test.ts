import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { ManualClock } from '../util/clock.ts'
import { ErrorCode, isTributaryError } from '../util/errors.ts'
import { type FsyncHooks, defaultFsyncHooks } from './durable-io.ts'
import { batchOf, countingHooks, readAllRecords, removeDir, tempDir, testConfig, valueOf } from './log-test-support.ts'
import { type FilePartitionLog, openPartitionLog } from './partition-log.ts'
import { type FlushPolicy } from './types.ts'

const dirs: string[] = []
const logs: FilePartitionLog[] = []

async function open(flush: FlushPolicy, hooks: FsyncHooks, clock = new ManualClock(0)): Promise<FilePartitionLog> {
  const dir = tempDir()
  dirs.push(dir)
  const log = await openPartitionLog(dir, testConfig({ flush }), { clock, fsyncHooks: hooks })
  logs.push(log)
  return log
}

afterEach(async () => {
  for (const log of logs.splice(0)) await log.close().catch(() => undefined)
  for (const dir of dirs.splice(0)) removeDir(dir)
})

/** Lets the threadpool and pending promise callbacks run. */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

describe('fsync mode (group commit)', () => {
  it('covers many concurrent appends with a couple of fsyncs, exposing data only once durable', async () => {
    const hooks = countingHooks()
    const log = await open({ mode: 'fsync' }, hooks)
    const before = hooks.dataSyncs
    const pending = Array.from({ length: 50 }, (_, i) => log.append(batchOf([`v${i}`])))
    assert.equal(log.logEndOffset, 50, 'all appends are written at once')
    assert.equal(log.highWatermark, 0, 'nothing is readable before the fsync')
    assert.equal(log.read(0, 1000).records.length, 0)
    const results = await Promise.all(pending)
    assert.deepEqual(results.map((r) => r.baseOffset), Array.from({ length: 50 }, (_, i) => i))
    const fsyncs = hooks.dataSyncs - before
    assert.ok(fsyncs >= 1 && fsyncs <= 2, `expected 1-2 fsyncs for 50 appends, got ${fsyncs}`)
    assert.equal(log.highWatermark, 50)
  })

  it('queues appends that arrive during an fsync for the next one', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    let calls = 0
    let armed = false
    const hooks: FsyncHooks = {
      ...defaultFsyncHooks,
      syncData: async (fd) => {
        calls++
        if (armed && calls === 1) await gate
        await defaultFsyncHooks.syncData(fd)
      },
    }
    const log = await open({ mode: 'fsync' }, hooks)
    calls = 0
    armed = true
    const first = log.append(batchOf(['first']))
    await tick()
    assert.equal(calls, 1, 'the first fsync is running')
    let laterDone = 0
    const later = Array.from({ length: 10 }, (_, i) => log.append(batchOf([`later${i}`])).then(() => laterDone++))
    await tick()
    assert.equal(calls, 1, 'no second fsync while the first runs')
    assert.equal(laterDone, 0)
    assert.equal(log.highWatermark, 0)
    release()
    await first
    await Promise.all(later)
    assert.equal(calls, 2, 'one more fsync covered the ten queued appends')
    assert.equal(log.highWatermark, 11)
  })

  it('treats an fsync error as fatal: pending and later appends fail, nothing more becomes readable', async () => {
    let failing = false
    const hooks: FsyncHooks = {
      ...defaultFsyncHooks,
      syncData: async (fd) => {
        if (failing) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
        await defaultFsyncHooks.syncData(fd)
      },
    }
    const log = await open({ mode: 'fsync' }, hooks)
    await log.append(batchOf(['durable']))
    failing = true
    const results = await Promise.allSettled([log.append(batchOf(['a'])), log.append(batchOf(['b']))])
    for (const r of results) assert.ok(r.status === 'rejected' && isTributaryError(r.reason, ErrorCode.STORAGE_ERROR))
    failing = false
    await assert.rejects(log.append(batchOf(['c'])), (e) => isTributaryError(e, ErrorCode.STORAGE_ERROR))
    await assert.rejects(log.flush(), (e) => isTributaryError(e, ErrorCode.STORAGE_ERROR))
    assert.equal(log.highWatermark, 1)
    assert.deepEqual(readAllRecords(log).map(valueOf), ['durable'])
  })

  it('tells listeners when the high watermark moves, until they unsubscribe', async () => {
    const log = await open({ mode: 'fsync' }, defaultFsyncHooks)
    const seen: number[] = []
    const off = log.onAppend(() => seen.push(log.highWatermark))
    await log.append(batchOf(['a', 'b']))
    off()
    await log.append(batchOf(['c']))
    assert.deepEqual(seen, [2])
  })
})

describe('interval and never modes', () => {
  it('interval: acknowledges after the write and fsyncs on the clock', async () => {
    const hooks = countingHooks()
    const clock = new ManualClock(0)
    const log = await open({ mode: 'interval', intervalMs: 1000 }, hooks, clock)
    const before = hooks.dataSyncs
    for (let i = 0; i < 5; i++) await log.append(batchOf([`v${i}`]))
    assert.equal(log.highWatermark, 5)
    await tick()
    assert.equal(hooks.dataSyncs, before, 'no fsync before the interval')
    clock.advance(1000)
    await tick()
    await tick()
    assert.equal(hooks.dataSyncs, before + 1)
    clock.advance(1000)
    await tick()
    assert.equal(hooks.dataSyncs, before + 1, 'nothing new written, nothing to fsync')
  })

  it('never: no fsync on append; flush and close force one', async () => {
    const hooks = countingHooks()
    const log = await open({ mode: 'never' }, hooks)
    const before = hooks.dataSyncs
    for (let i = 0; i < 5; i++) await log.append(batchOf([`v${i}`]))
    await tick()
    assert.equal(hooks.dataSyncs, before)
    assert.equal(log.highWatermark, 5)
    await log.flush()
    assert.equal(hooks.dataSyncs, before + 1)
    await log.append(batchOf(['x']))
    await log.close()
    assert.ok(hooks.dataSyncs > before + 1)
  })

  it('switching to fsync at run time makes appends wait for durability again', async () => {
    const hooks = countingHooks()
    const log = await open({ mode: 'never' }, hooks)
    await log.append(batchOf(['a']))
    log.updateConfig({ ...log.config, flush: { mode: 'fsync' } })
    const before = hooks.dataSyncs
    const p = log.append(batchOf(['b']))
    assert.equal(log.highWatermark, 1)
    await p
    assert.ok(hooks.dataSyncs > before)
    assert.equal(log.highWatermark, 2)
  })
})
