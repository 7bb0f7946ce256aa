import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../util/clock.ts'
import { ConsoleSink, type Sink, type SinkWriter } from '../api/sink.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { TestPipelineDriver } from '../testing/test-pipeline-driver.ts'
import { Counters } from './metrics.ts'
import { SinkOperator } from './sink-operator.ts'

/** Records every write() call with the clock time it happened at. */
class RecordingSink<T> implements Sink<T> {
  readonly name = 'recording'
  readonly batching: { maxRecords: number; maxDelayMs: number; maxInFlight: number }
  readonly writes: { at: number; values: T[] }[] = []
  readonly #clock: ManualClock

  constructor(clock: ManualClock, maxRecords: number, maxDelayMs: number) {
    this.#clock = clock
    this.batching = { maxRecords, maxDelayMs, maxInFlight: 1 }
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

test('maxInFlight: writes overlap up to the limit, in order; commits and the end wait for all of them', async () => {
  const started: number[][] = []
  const finish: (() => void)[] = []
  const sink: Sink<number> = {
    name: 'slow',
    batching: { maxRecords: 1, maxDelayMs: 0, maxInFlight: 2 },
    createWriter: () => ({
      write: (values) => {
        started.push([...values])
        return new Promise<void>((resolve) => finish.push(resolve))
      },
    }),
  }
  const op = new SinkOperator(sink)
  const clock = new ManualClock(0)
  op.open({ clock, jobName: 'j', operatorName: 'slow', taskIndex: 0, taskCount: 1, metrics: new Counters(), output: undefined as never, createKeyedStateBackend: () => undefined as never })
  op.processBatch(0, [1], [0])
  assert.equal(op.pending(), undefined, 'one write under way: more input is taken')
  op.processBatch(0, [2], [0])
  const full = op.pending()
  assert.ok(full !== undefined, 'two under way: the task waits')
  op.processBatch(0, [3], [0])
  assert.deepEqual(started, [[1], [2]], 'the third write waits for a free slot')
  let allDone = false
  void op.flushed()?.then(() => (allDone = true))
  ;(finish.shift() as () => void)()
  await full
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(started, [[1], [2]], 'the third write starts after the newest, keeping the order')
  ;(finish.shift() as () => void)()
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(started, [[1], [2], [3]])
  assert.equal(allDone, false, 'flushed() covers the writes issued before it')
  ;(finish.shift() as () => void)()
  await new Promise((r) => setImmediate(r))
  assert.equal(allDone, true)
  assert.equal(op.flushed(), undefined)
})

test('maxInFlight: a failed write fails the next pending() and close()', async () => {
  let fail: ((err: Error) => void) | undefined
  const sink: Sink<number> = {
    name: 'failing',
    batching: { maxRecords: 1, maxDelayMs: 0, maxInFlight: 4 },
    createWriter: () => ({ write: () => new Promise<void>((_, reject) => (fail = reject)) }),
  }
  const op = new SinkOperator(sink)
  op.open({ clock: new ManualClock(0), jobName: 'j', operatorName: 'failing', taskIndex: 0, taskCount: 1, metrics: new Counters(), output: undefined as never, createKeyedStateBackend: () => undefined as never })
  op.processBatch(0, [1], [0])
  assert.equal(op.pending(), undefined)
  ;(fail as (err: Error) => void)(new Error('disk full'))
  await new Promise((r) => setImmediate(r))
  await assert.rejects(op.pending() as Promise<void>, /disk full/)
  await assert.rejects(async () => op.close(), /disk full/)
})
