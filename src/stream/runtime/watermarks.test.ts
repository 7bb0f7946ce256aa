import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../util/clock.ts'
import { count } from '../api/aggregates/index.ts'
import { type WindowResult } from '../api/changelog.ts'
import { type DataStream } from '../api/data-stream.ts'
import { CollectingSink } from '../api/sink.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { type TimeWindow } from '../api/window.ts'
import { TumblingEventTimeWindows } from '../api/window-assigner.ts'
import { PunctuatedWatermarks, WatermarkStrategy } from '../api/watermark-strategy.ts'
import { TestPipelineDriver } from '../testing/test-pipeline-driver.ts'
import { StatusWatermarkValve } from './status-watermark-valve.ts'

interface Ev {
  k: string
  t: number
}

/** Emits "value@watermark" for every element: what the operator saw when it arrived. */
function probe<T>(s: DataStream<T>, label: (v: T) => string): CollectingSink<string> {
  const sink = new CollectingSink<string>()
  s.process<string>({ processElement: (v, ctx, out) => out.collect(`${label(v)}@${ctx.currentWatermark()}`) }).sinkTo(sink)
  return sink
}

const byTime = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(5).withTimestampAssigner((e) => e.t)

test('bounded out-of-orderness: watermark = max timestamp - bound - 1, emitted every interval', async () => {
  const clock = new ManualClock(0)
  const env = StreamEnvironment.create({ clock, autoWatermarkIntervalMs: 200 })
  const sink = probe(env.fromCollection<Ev>([], { name: 'in' }).assignTimestampsAndWatermarks(byTime), (e) => String(e.t))
  const d = await TestPipelineDriver.create(env)
  const input = d.input<Ev>('in')
  await input.push([{ k: 'a', t: 100 }, { k: 'a', t: 103 }, { k: 'a', t: 98 }])
  await d.advanceProcessingTime(199)
  await input.push([{ k: 'a', t: 1 }])
  await d.advanceProcessingTime(1)
  await input.push([{ k: 'a', t: 50 }])
  await input.push([{ k: 'a', t: 200 }])
  await d.advanceProcessingTime(200)
  await input.push([{ k: 'a', t: 60 }])
  assert.deepEqual(sink.values, ['100@-Infinity', '103@-Infinity', '98@-Infinity', '1@-Infinity', '50@97', '200@97', '60@194'])
})

test('monotonous timestamps and punctuated generators', async () => {
  const clock = new ManualClock(0)
  const env = StreamEnvironment.create({ clock, autoWatermarkIntervalMs: 0 })
  const punct = WatermarkStrategy.forGenerator<Ev>(() => new PunctuatedWatermarks<Ev>((e) => (e.k === 'mark' ? e.t : undefined))).withTimestampAssigner((e) => e.t)
  const sink = probe(env.fromCollection<Ev>([], { name: 'in' }).assignTimestampsAndWatermarks(punct), (e) => `${e.k}${e.t}`)
  const d = await TestPipelineDriver.create(env)
  await d.input<Ev>('in').push([{ k: 'a', t: 5 }, { k: 'mark', t: 10 }, { k: 'b', t: 7 }])
  await d.advanceProcessingTime(10_000)
  assert.deepEqual(sink.values, ['a5@-Infinity', 'mark10@-Infinity', 'b7@10'], 'no periodic emission when the interval is 0')

  const env2 = StreamEnvironment.create({ clock: new ManualClock(0) })
  const sink2 = probe(env2.fromCollection<Ev>([], { name: 'in' }).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.t)), (e) => String(e.t))
  const d2 = await TestPipelineDriver.create(env2)
  await d2.input<Ev>('in').push([{ k: 'a', t: 10 }])
  await d2.advanceProcessingTime(200)
  await d2.input<Ev>('in').push([{ k: 'a', t: 11 }])
  assert.deepEqual(sink2.values, ['10@-Infinity', '11@9'])
})

test('partitions combine by minimum across a keyBy; an idle partition stops holding the watermark back', async () => {
  const clock = new ManualClock(0)
  const env = StreamEnvironment.create({ clock, autoWatermarkIntervalMs: 100 })
  const out = new CollectingSink<WindowResult<string, number, TimeWindow>>()
  env
    .fromCollection<Ev>([], { name: 'in', partitions: 2 })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.t).withIdleness(1000))
    .keyBy((e) => e.k)
    .window(TumblingEventTimeWindows.of(10))
    .aggregate(count())
    .sinkTo(out)
  const d = await TestPipelineDriver.create(env)
  assert.deepEqual(d.stageParallelism, [2, 2])
  const input = d.input<Ev>('in')
  const fired = (): string[] => out.values.map((r) => `${r.key}[${r.window.start},${r.window.end})=${r.value}`).sort()
  await input.push([{ k: 'a', t: 1 }, { k: 'b', t: 25 }], undefined, 0)
  await input.push([{ k: 'a', t: 2 }], undefined, 1)
  await d.advanceProcessingTime(100)
  assert.deepEqual(fired(), [], 'partition 1 is at 1: min(24, 1) fires nothing')
  await input.push([{ k: 'b', t: 15 }], undefined, 1)
  await d.advanceProcessingTime(100)
  assert.deepEqual(fired(), ['a[0,10)=2'], 'min(24, 14) = 14 closes [0,10) only')
  // Partition 1 stays silent; partition 0 keeps flowing.
  for (let i = 0; i < 10; i++) {
    await input.push([{ k: 'c', t: 40 + i }], undefined, 0)
    await d.advanceProcessingTime(100)
  }
  assert.deepEqual(fired(), ['a[0,10)=2', 'b[10,20)=1', 'b[20,30)=1'], 'idle partition 1 no longer holds the watermark back')
  await input.push([{ k: 'd', t: 45 }], undefined, 1)
  await d.advanceProcessingTime(100)
  await input.end()
  assert.deepEqual(fired().slice(3), ['c[40,50)=10', 'd[40,50)=1'], 'partition 1 came back before [40,50) closed: its event counts')
})

test('union: the watermark is the minimum of its inputs', async () => {
  const clock = new ManualClock(0)
  const env = StreamEnvironment.create({ clock, autoWatermarkIntervalMs: 100 })
  const s = WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.t)
  const a = env.fromCollection<Ev>([], { name: 'a' }).assignTimestampsAndWatermarks(s)
  const b = env.fromCollection<Ev>([], { name: 'b' }).assignTimestampsAndWatermarks(s)
  const sink = probe(a.union(b), (e) => `${e.k}${e.t}`)
  const d = await TestPipelineDriver.create(env)
  await d.input<Ev>('a').push([{ k: 'a', t: 100 }])
  await d.input<Ev>('b').push([{ k: 'b', t: 10 }])
  await d.advanceProcessingTime(100)
  await d.input<Ev>('a').push([{ k: 'a', t: 101 }])
  await d.input<Ev>('b').end()
  await d.input<Ev>('a').push([{ k: 'a', t: 102 }])
  await d.advanceProcessingTime(100)
  await d.input<Ev>('a').push([{ k: 'a', t: 103 }])
  assert.deepEqual(sink.values, ['a100@-Infinity', 'b10@-Infinity', 'a101@9', 'a102@99', 'a103@101'], 'an ended input holds nothing back')
})

test('StatusWatermarkValve: minimum of active inputs, idleness, realignment', () => {
  const events: string[] = []
  const v = new StatusWatermarkValve(3, { onWatermark: (w) => events.push(`wm ${w}`), onIdle: (i) => events.push(i ? 'idle' : 'active') })
  v.inputWatermark(0, 10)
  v.inputWatermark(1, 5)
  assert.deepEqual(events, [], 'input 2 has no watermark yet')
  v.inputWatermark(2, 7)
  v.inputWatermark(1, 4)
  v.inputWatermark(1, 20)
  assert.deepEqual(events, ['wm 5', 'wm 7'], 'decreasing input watermarks are ignored')
  v.inputIdle(2, true)
  assert.deepEqual(events.slice(2), ['wm 10'])
  v.inputIdle(2, false)
  v.inputWatermark(2, 8)
  v.inputWatermark(0, 30)
  assert.deepEqual(events.slice(3), ['wm 20'], 'input 2 rejoins only once it caught up with the output')
  v.inputWatermark(2, 25)
  assert.deepEqual(events.slice(4), [], 'input 1 is still at 20')
  v.inputWatermark(1, 40)
  assert.deepEqual(events.slice(4), ['wm 25'])
  v.inputIdle(0, true)
  v.inputIdle(1, true)
  v.inputIdle(2, true)
  assert.deepEqual(events.slice(5), ['wm 40', 'idle'], 'all idle: the furthest watermark goes through, then idle')
  v.inputIdle(1, false)
  assert.deepEqual(events.slice(7), ['active'])
})
