import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../util/clock.ts'
import { count } from '../api/aggregates/index.ts'
import { type WindowResult } from '../api/changelog.ts'
import { CollectingSink, type Sink } from '../api/sink.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { type TimeWindow } from '../api/window.ts'
import { TumblingEventTimeWindows, TumblingProcessingTimeWindows } from '../api/window-assigner.ts'
import { WatermarkStrategy } from '../api/watermark-strategy.ts'
import { buildJobGraph } from './job-graph.ts'

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}

test('the runner schedules processing-time work on the injected clock (sink interval, windows)', async () => {
  const clock = new ManualClock(0)
  const env = StreamEnvironment.create({ clock })
  const written: number[][] = []
  const sink: Sink<WindowResult<string, number, TimeWindow>> = {
    name: 'timed',
    batching: { maxRecords: 1000, maxDelayMs: 500 },
    createWriter: () => ({ write: (values) => void written.push(values.map((v) => v.value)) }),
  }
  env
    .fromCollection(['a', 'b', 'a'], { unbounded: true })
    .keyBy((s) => s)
    .window(TumblingProcessingTimeWindows.of(1000))
    .aggregate(count())
    .sinkTo(sink)
  const job = env.execute('clocked')
  await turns(20)
  clock.advance(999)
  await turns(20)
  assert.equal(written.length, 0, 'the window is still open')
  clock.advance(1)
  await turns(20)
  assert.equal(written.length, 0, 'results wait in the sink buffer')
  clock.advance(500)
  await turns(20)
  assert.deepEqual(written.map((w) => w.sort()), [[1, 2]], 'flushed 500 ms after they were buffered')
  await job.cancel()
})

test('a rate-limited generator is paced by the clock', async () => {
  const clock = new ManualClock(0)
  const env = StreamEnvironment.create({ clock })
  const sink = new CollectingSink<number>()
  env.fromGenerator((i) => i, { count: 50, ratePerSecond: 10 }).sinkTo(sink)
  const job = env.execute('paced')
  await turns(20)
  assert.deepEqual(sink.values, [0], 'the first element is due at once')
  clock.advance(1000)
  await turns(20)
  assert.equal(sink.values.length, 11, '10 more per second')
  clock.advance(4000)
  await turns(40)
  const result = await job.done
  assert.deepEqual(sink.values, Array.from({ length: 50 }, (_, i) => i))
  assert.equal(result.cancelled, false)
})

test('a bounded job with periodic watermarks and a keyBy finishes and flushes all windows', async () => {
  const env = StreamEnvironment.create({ parallelism: 3 })
  const out = new CollectingSink<WindowResult<number, number, TimeWindow>>()
  env
    .fromGenerator((i) => ({ k: i % 7, t: i * 10 }), { count: 10_000, partitions: 4, batchSize: 100 })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<{ k: number; t: number }>(50).withTimestampAssigner((e) => e.t))
    .keyBy((e) => e.k)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate(count())
    .sinkTo(out)
  const result = await env.execute('batch').done
  const total = out.values.reduce((n, r) => n + r.value, 0)
  assert.equal(total, 10_000)
  assert.equal(new Set(out.values.map((r) => `${r.key}/${r.window.start}`)).size, out.values.length, 'one result per key and window')
  assert.equal(result.metrics['window-4']?.['lateRecordsDropped'] ?? 0, 0)
})

test('the translator cuts stages at keyBy and keeps pre-partitioned keyBy in the stage', () => {
  const env = StreamEnvironment.create()
  const src = env.fromCollection([1, 2, 3])
  src.keyBy((n) => n % 2).aggregate(count()).sinkTo(new CollectingSink())
  src.keyBy((n) => n, { prePartitioned: true }).aggregate(count()).sinkTo(new CollectingSink())
  const g = buildJobGraph(env.transformations)
  assert.equal(g.stages.length, 2)
  assert.deepEqual(g.stages[0]?.inputs.map((i) => i.kind), ['source'])
  assert.deepEqual(g.stages[1]?.inputs.map((i) => i.kind), ['exchange'])
  assert.equal(g.stages[0]?.exchanges.length, 1)
  assert.ok(g.stages[0]?.transformations.some((t) => t.spec.kind === 'keyBy' && t.spec.prePartitioned))
})
