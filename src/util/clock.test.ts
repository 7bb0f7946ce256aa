import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ManualClock, systemClock } from './clock.ts'

describe('ManualClock', () => {
  it('starts at the given time and moves only when advanced or set, never backwards', () => {
    const clock = new ManualClock(1000)
    assert.equal(clock.now(), 1000)
    clock.advance(250)
    assert.equal(clock.now(), 1250)
    clock.set(1100)
    assert.equal(clock.now(), 1250)
    clock.set(2000)
    assert.equal(clock.now(), 2000)
  })

  it('fires timers in due order, ties in scheduling order, each at its own due time', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 30 }), fc.integer({ min: 0, max: 60 }), (delays, step) => {
        const clock = new ManualClock(0)
        const fired: { index: number; at: number }[] = []
        delays.forEach((ms, index) => clock.setTimeout(() => fired.push({ index, at: clock.now() }), ms))
        clock.advance(step)
        clock.advance(60)
        const expected = delays.map((ms, index) => ({ index, ms })).sort((a, b) => a.ms - b.ms || a.index - b.index)
        assert.deepEqual(
          fired.map((f) => f.index),
          expected.map((e) => e.index),
        )
        for (const f of fired) assert.equal(f.at, delays[f.index])
        assert.equal(clock.pendingTimers, 0)
      }),
      { numRuns: 200 },
    )
  })

  it('does not fire timers that are not yet due', () => {
    const clock = new ManualClock(0)
    let fired = false
    clock.setTimeout(() => (fired = true), 100)
    clock.advance(99)
    assert.equal(fired, false)
    assert.equal(clock.pendingTimers, 1)
    clock.advance(1)
    assert.equal(fired, true)
  })

  it('fires within the same advance a timer scheduled by a firing timer when it falls due', () => {
    const clock = new ManualClock(0)
    const log: string[] = []
    clock.setTimeout(() => {
      log.push(`a@${clock.now()}`)
      clock.setTimeout(() => log.push(`b@${clock.now()}`), 10)
      clock.setTimeout(() => log.push(`c@${clock.now()}`), 100)
    }, 5)
    clock.advance(50)
    assert.deepEqual(log, ['a@5', 'b@15'])
    assert.equal(clock.now(), 50)
    clock.advance(55)
    assert.deepEqual(log, ['a@5', 'b@15', 'c@105'])
  })

  it('cancel stops a timer from firing and removes it from the pending count', () => {
    const clock = new ManualClock(0)
    let fired = 0
    const a = clock.setTimeout(() => fired++, 10)
    clock.setTimeout(() => fired++, 20)
    a.cancel()
    assert.equal(clock.pendingTimers, 1)
    clock.advance(30)
    assert.equal(fired, 1)
    // Cancelling after firing is harmless.
    a.cancel()
    assert.equal(clock.pendingTimers, 0)
  })

  it('sleep resolves once the clock reaches its due time', async () => {
    const clock = new ManualClock(0)
    let done = false
    const p = clock.sleep(100).then(() => (done = true))
    clock.advance(99)
    await Promise.resolve()
    assert.equal(done, false)
    clock.advance(1)
    await p
    assert.equal(done, true)
  })

  it('sleep rejects with the abort reason and cancels its timer when aborted', async () => {
    const clock = new ManualClock(0)
    const controller = new AbortController()
    const p = clock.sleep(100, controller.signal)
    assert.equal(clock.pendingTimers, 1)
    const reason = new Error('stop')
    controller.abort(reason)
    await assert.rejects(p, (err) => err === reason)
    assert.equal(clock.pendingTimers, 0)
  })

  it('sleep on an already aborted signal rejects at once without scheduling', async () => {
    const clock = new ManualClock(0)
    const signal = AbortSignal.abort()
    await assert.rejects(clock.sleep(10, signal), (err: unknown) => err instanceof DOMException && err.name === 'AbortError')
    assert.equal(clock.pendingTimers, 0)
  })
})

describe('systemClock', () => {
  it('now follows wall-clock time', () => {
    const before = Date.now()
    const now = systemClock.now()
    assert.ok(now >= before && now <= Date.now())
  })

  it('sleep waits roughly the given time and can be aborted', async () => {
    const start = performance.now()
    await systemClock.sleep(20)
    assert.ok(performance.now() - start >= 15)
    const controller = new AbortController()
    const p = systemClock.sleep(10_000, controller.signal)
    controller.abort(new Error('aborted'))
    await assert.rejects(p, /aborted/)
  })

  it('cancelled timers do not fire', async () => {
    let fired = false
    const handle = systemClock.setTimeout(() => (fired = true), 5)
    handle.cancel()
    await systemClock.sleep(20)
    assert.equal(fired, false)
  })
})
