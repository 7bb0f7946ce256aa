import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../util/clock.ts'
import { ConsoleSink, type Sink, type SinkWriter } from '../api/sink.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { TestPipelineDriver } from '../testing/test-pipeline-driver.ts'

/** Records every write() call with the clock time it happened at. */
class RecordingSink<T> implements Sink<T> {
  readonly name = 'recording'
  readonly batching: { maxRecords: number; maxDelayMs: number }
  readonly writes: { at: number; values: T[] }[] = []
  readonly #clock: ManualClock

  constructor(clock: ManualClock, maxRecords: number, maxDelayMs: number) {
    this.#clock = clock
    this.batching = { maxRecords, maxDelayMs }
  }

  createWriter(): SinkWriter<T> {
    return { write: (values) => void this.writes.push({ at: this.#clock.now(), values: [...values] }) }
  }
}

test('a sink flushes when maxRecords are buffered or maxDelayMs passed, whichever first', async () => {
  const clock = new ManualClock(0)
  const env = StreamEnvironment.create({ clock })
  const sink = new RecordingSink<number>(clock, 5, 500)
  env.fromCollection<number>([], { name: 'in' }).sinkTo(sink)
  const d = await TestPipelineDriver.create(env)
  const input = d.input<number>('in')
  await input.push([1, 2])
  await d.advanceProcessingTime(100)
  await input.push([3, 4, 5, 6])
  assert.deepEqual(sink.writes, [{ at: 100, values: [1, 2, 3, 4, 5, 6] }], 'size reached')
  await input.push([7])
  await d.advanceProcessingTime(499)
  assert.equal(sink.writes.length, 1)
  await d.advanceProcessingTime(1)
  assert.deepEqual(sink.writes[1], { at: 600, values: [7] }, 'interval reached 500 ms after the first buffered record')
  await input.push([8])
  await input.end()
  assert.deepEqual(sink.writes[2], { at: 600, values: [8] }, 'end of input flushes')
  assert.equal(d.metrics()['recording']?.['sinkFlushes'], 3)
})

test('backpressure: a slow sink stops the sources from reading ahead', async () => {
  const env = StreamEnvironment.create({ mailboxCapacity: 2 })
  let generated = 0
  let release: (() => void) | undefined
  let blocking = true
  let writes = 0
  const slow: Sink<number> = {
    name: 'slow',
    batching: { maxRecords: 10, maxDelayMs: 1000 },
    createWriter: () => ({
      write: () => {
        writes++
        if (!blocking) return undefined
        return new Promise<void>((resolve) => {
          release = resolve
        })
      },
    }),
  }
  env
    .fromGenerator(
      (i) => {
        generated++
        return i
      },
      { count: 100_000, batchSize: 10 },
    )
    .map((n) => n + 1)
    .sinkTo(slow)
  const job = env.execute('backpressure')
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r))
  assert.equal(writes, 1, 'one write in flight')
  // One batch in the sink, at most two in the mailbox, one held by the waiting reader.
  assert.ok(generated <= 40, `the source stalls while the sink is blocked (generated ${generated})`)
  const before = generated
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
  assert.equal(generated, before, 'no progress without the sink')
  blocking = false
  release?.()
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
  assert.ok(generated > before + 100, 'progress once the write completes')
  const result = await job.cancel()
  assert.equal(result.cancelled, true)
})

test('a failing sink write fails the job', async () => {
  const env = StreamEnvironment.create()
  env.fromCollection([1, 2, 3]).sinkTo({
    name: 'broken',
    batching: { maxRecords: 1, maxDelayMs: 0 },
    createWriter: () => ({ write: () => Promise.reject(new Error('disk full')) }),
  })
  await assert.rejects(env.execute('broken').done, /disk full/)
})

test('console sink prints one JSON line per element, with the task index when parallel', async () => {
  const env = StreamEnvironment.create()
  const lines: string[] = []
  env.fromCollection([{ a: 1 }, { a: 2 }], { partitions: 2 }).sinkTo(new ConsoleSink({ prefix: 'out', write: (s) => lines.push(...s.trimEnd().split('\n')) }))
  await env.execute('console').done
  assert.deepEqual(lines.sort(), ['out 0> {"a":1}', 'out 1> {"a":2}'])
})
