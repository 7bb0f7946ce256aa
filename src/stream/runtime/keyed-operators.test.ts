import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../util/clock.ts'
import { count } from '../api/aggregates/index.ts'
import { type Change } from '../api/changelog.ts'
import { OutputTag } from '../api/output-tag.ts'
import { type KeyedProcessFunction } from '../api/process-function.ts'
import { CollectingSink } from '../api/sink.ts'
import { type ListState, ListStateDescriptor, type MapState, MapStateDescriptor, type ValueState, ValueStateDescriptor } from '../api/state.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { TestPipelineDriver } from '../testing/test-pipeline-driver.ts'

interface Click {
  user: string
  page: string
}

const click = (user: string, page = 'p'): Click => ({ user, page })

test('keyed process: value state per key and an event-time timer per key (deduplicated)', async () => {
  const env = StreamEnvironment.create({ clock: new ManualClock() })
  const out = new CollectingSink<string>()
  // Emits a user's click count once 10 ms of event time passed without a click (a session timeout).
  const fn: KeyedProcessFunction<string, Click, string> & { count: ValueState<number>; last: ValueState<number> } = {
    count: undefined as unknown as ValueState<number>,
    last: undefined as unknown as ValueState<number>,
    open(ctx) {
      this.count = ctx.getState(new ValueStateDescriptor<number>('count', { defaultValue: 0 }))
      this.last = ctx.getState(new ValueStateDescriptor<number>('last'))
    },
    processElement(_c, ctx, _out) {
      this.count.update((this.count.value() ?? 0) + 1)
      const ts = ctx.timestamp as number
      const previous = this.last.value()
      if (previous !== undefined) ctx.timerService.deleteEventTimeTimer(previous + 10)
      this.last.update(ts)
      ctx.timerService.registerEventTimeTimer(ts + 10)
      ctx.timerService.registerEventTimeTimer(ts + 10)
    },
    onTimer(time, ctx, out) {
      out.collect(`${ctx.getCurrentKey()} ${this.count.value()} clicks, timer ${time} (${ctx.timeDomain}) ts=${ctx.timestamp}`)
      this.count.clear()
      this.last.clear()
    },
  }
  env.fromCollection<Click>([], { name: 'clicks' }).keyBy((c) => c.user).process(fn).sinkTo(out)
  const d = await TestPipelineDriver.create(env)
  const input = d.input<Click>('clicks')
  await input.push([click('ann'), click('bob'), click('ann')], [1, 2, 5])
  await input.watermark(14)
  assert.deepEqual(out.values, ['bob 1 clicks, timer 12 (event) ts=12'], "ann's first timer was deleted, her second is at 15")
  await input.push([click('ann')], [15])
  await input.watermark(30)
  assert.deepEqual(out.values.slice(1), ['ann 3 clicks, timer 25 (event) ts=25'])
  assert.deepEqual(out.timestamps, [12, 25])
})

test('keyed process: processing-time timers fire on the clock for their key', async () => {
  const clock = new ManualClock(1000)
  const env = StreamEnvironment.create({ clock })
  const out = new CollectingSink<string>()
  env
    .fromCollection<Click>([], { name: 'clicks' })
    .keyBy((c) => c.user)
    .process<string>({
      processElement(c, ctx) {
        ctx.timerService.registerProcessingTimeTimer(ctx.currentProcessingTime() + (c.page === 'slow' ? 500 : 100))
      },
      onTimer(time, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}@${time} ${ctx.timeDomain} now=${ctx.currentProcessingTime()} ts=${ctx.timestamp}`)
      },
    })
    .sinkTo(out)
  const d = await TestPipelineDriver.create(env)
  await d.input<Click>('clicks').push([click('ann', 'slow'), click('bob')])
  await d.advanceProcessingTime(99)
  assert.deepEqual(out.values, [])
  await d.advanceProcessingTime(1000)
  assert.deepEqual(out.values, ['bob@1100 processing now=1100 ts=undefined', 'ann@1500 processing now=1500 ts=undefined'])
})

test('keyed state TTL expires on the processing-time clock', async () => {
  const clock = new ManualClock(0)
  const env = StreamEnvironment.create({ clock })
  const out = new CollectingSink<string>()
  env
    .fromCollection<Click>([], { name: 'clicks' })
    .keyBy((c) => c.user)
    .process<string>({
      open(ctx) {
        ;(this as unknown as { pages: ValueState<string[]> }).pages = ctx.getState(new ValueStateDescriptor<string[]>('pages', { ttl: { ttlMs: 1000 } }))
      },
      processElement(c, _ctx, out) {
        const state = (this as unknown as { pages: ValueState<string[]> }).pages
        const pages = [...(state.value() ?? []), c.page]
        state.update(pages)
        out.collect(`${c.user}: ${pages.join(',')}`)
      },
    })
    .sinkTo(out)
  const d = await TestPipelineDriver.create(env)
  const input = d.input<Click>('clicks')
  await input.push([click('ann', 'a')])
  await d.advanceProcessingTime(600)
  await input.push([click('ann', 'b')])
  await d.advanceProcessingTime(999)
  await input.push([click('ann', 'c')])
  await d.advanceProcessingTime(1000)
  await input.push([click('ann', 'd')])
  assert.deepEqual(out.values, ['ann: a', 'ann: a,b', 'ann: a,b,c', 'ann: d'])
})

test('keyed process: list and map state, side outputs, composite keys', async () => {
  const env = StreamEnvironment.create({ clock: new ManualClock() })
  const out = new CollectingSink<string>()
  const repeats = new OutputTag<string>('repeats')
  const side = new CollectingSink<string>('side')
  const keyed = env.fromCollection<Click>([], { name: 'clicks' }).keyBy((c) => [c.user, c.page.length])
  const result = keyed.process<string>({
    open(ctx) {
      const self = this as unknown as Record<string, unknown>
      self['seen'] = ctx.getMapState(new MapStateDescriptor<string, number>('seen'))
      self['order'] = ctx.getListState(new ListStateDescriptor<string>('order'))
    },
    processElement(c, ctx, out) {
      const self = this as unknown as { seen: MapState<string, number>; order: ListState<string> }
      const n = (self.seen.get(c.page) ?? 0) + 1
      self.seen.put(c.page, n)
      if (n > 1) ctx.output(repeats, `${c.page}#${n}`)
      else self.order.add(c.page)
      out.collect(`${JSON.stringify(ctx.getCurrentKey())} ${self.order.get().join('>')}`)
    },
  })
  result.sinkTo(out)
  result.getSideOutput(repeats).sinkTo(side)
  const d = await TestPipelineDriver.create(env)
  await d.input<Click>('clicks').push([click('ann', 'x'), click('ann', 'y'), click('ann', 'x'), click('ann', 'zz')])
  assert.deepEqual(out.values, ['["ann",1] x', '["ann",1] x>y', '["ann",1] x>y', '["ann",2] zz'])
  assert.deepEqual(side.values, ['x#2'])
})

test('rolling reduce and aggregate emit an update stream per key', async () => {
  const env = StreamEnvironment.create({ clock: new ManualClock() })
  const counts = new CollectingSink<Change<string, number>>('counts')
  const longest = new CollectingSink<Change<string, Click>>('longest')
  const keyed = env.fromCollection<Click>([], { name: 'clicks' }).keyBy((c) => c.user)
  keyed.aggregate(count()).sinkTo(counts)
  keyed.reduce((a, b) => (b.page.length > a.page.length ? b : a)).sinkTo(longest)
  const d = await TestPipelineDriver.create(env)
  await d.input<Click>('clicks').push([click('ann', 'a'), click('bob', 'bbb'), click('ann', 'aaa'), click('ann', 'aa')])
  assert.deepEqual(
    counts.values.map((c) => `${c.kind} ${c.key}=${c.value}`),
    ['insert ann=1', 'insert bob=1', 'update ann=2', 'update ann=3'],
  )
  assert.deepEqual(
    longest.values.map((c) => `${c.kind} ${c.key}=${c.value.page}`),
    ['insert ann=a', 'insert bob=bbb', 'update ann=aaa', 'update ann=aaa'],
  )
})

test('keyBy spreads keys over tasks; every key stays in one task', async () => {
  const tasksOfKey = new Map<string, Set<number>>()
  const probe = new CollectingSink<[string, number]>('probe')
  const env = StreamEnvironment.create({ parallelism: 3 })
  env
    .fromCollection(Array.from({ length: 60 }, (_, i) => `k${i % 12}`), { partitions: 2 })
    .keyBy((k) => k)
    .process<[string, number]>({
      task: 0,
      open(ctx) {
        this.task = ctx.taskIndex
      },
      processElement(k, _ctx, out) {
        out.collect([k, this.task])
      },
    } as KeyedProcessFunction<string, string, [string, number]> & { task: number })
    .sinkTo(probe)
  const r = await env.execute('spread').done
  for (const [k, t] of probe.values) {
    const s = tasksOfKey.get(k) ?? new Set()
    s.add(t)
    tasksOfKey.set(k, s)
  }
  assert.equal(probe.values.length, 60)
  assert.equal(tasksOfKey.size, 12)
  for (const [k, s] of tasksOfKey) assert.equal(s.size, 1, `key ${k} ran in one task`)
  assert.ok(new Set(probe.values.map(([, t]) => t)).size > 1, 'keys spread over more than one task')
  assert.equal(r.metrics['keyBy-2']?.['recordsIn'], 60, 'the exchange saw every element')
})
