import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../util/clock.ts'
import { count, sum } from '../api/aggregates/index.ts'
import { type WindowResult } from '../api/changelog.ts'
import { type DataStream } from '../api/data-stream.ts'
import { TimeEvictor } from '../api/evictor.ts'
import { type KeyedStream } from '../api/keyed-stream.ts'
import { OutputTag } from '../api/output-tag.ts'
import { CollectingSink } from '../api/sink.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { CountTrigger, EventTimeTrigger, PurgingTrigger } from '../api/trigger.ts'
import { type TimeWindow, type Window } from '../api/window.ts'
import {
  CumulativeEventTimeWindows,
  EventSlidingWindows,
  EventTimeSessionWindows,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from '../api/window-assigner.ts'
import { TestPipelineDriver, type TestInput } from '../testing/test-pipeline-driver.ts'

interface Ev {
  key: string
  v: number
}

interface Setup<R> {
  driver: TestPipelineDriver
  input: TestInput<Ev>
  out: CollectingSink<R>
  late: CollectingSink<Ev>
  clock: ManualClock
}

const LATE = new OutputTag<Ev>('late')

async function setup<R>(build: (keyed: KeyedStream<string, Ev>) => DataStream<R>, opts: { sideOutputLate?: boolean } = {}): Promise<Setup<R>> {
  const clock = new ManualClock(0)
  const env = StreamEnvironment.create({ clock })
  const out = new CollectingSink<R>('out')
  const late = new CollectingSink<Ev>('late')
  const result = build(env.fromCollection<Ev>([], { name: 'events' }).keyBy((e) => e.key))
  result.sinkTo(out)
  if (opts.sideOutputLate === true) result.getSideOutput(LATE).sinkTo(late)
  const driver = await TestPipelineDriver.create(env)
  return { driver, input: driver.input<Ev>('events'), out, late, clock }
}

const ev = (key: string, v = 1): Ev => ({ key, v })

/** Compact form of window results: kind key [start,end) value. */
function show(results: readonly WindowResult<string, unknown, Window>[]): string[] {
  return results.map((r) => {
    const w = r.window as TimeWindow
    return `${r.kind} ${r.key} [${w.start},${w.end}) ${JSON.stringify(r.value)}`
  })
}

test('tumbling: out-of-order events counted per key and window; fires when the watermark passes the end', async () => {
  const s = await setup((k) => k.window(TumblingEventTimeWindows.of(10)).aggregate(count()))
  await s.input.push([ev('a'), ev('b'), ev('a'), ev('a')], [7, 3, 12, 1])
  await s.input.watermark(8)
  assert.deepEqual(s.out.values, [], 'window [0,10) ends at 9: not yet')
  await s.input.push([ev('b')], [9])
  await s.input.watermark(9)
  assert.deepEqual(show(s.out.values).sort(), ['insert a [0,10) 2', 'insert b [0,10) 2'])
  assert.deepEqual(s.out.timestamps, [9, 9], 'results carry the window max timestamp')
  await s.input.end()
  assert.deepEqual(show(s.out.values).slice(2), ['insert a [10,20) 1'], 'end of input flushes the open window')
  assert.equal(s.driver.finished, true)
})

test('tumbling: late events are dropped and counted, or sent to the late side output', async () => {
  for (const sideOutputLate of [false, true]) {
    const s = await setup(
      (k) => {
        const w = k.window(TumblingEventTimeWindows.of(10))
        return (sideOutputLate ? w.sideOutputLateData(LATE) : w).aggregate(count())
      },
      { sideOutputLate },
    )
    await s.input.push([ev('a')], [5])
    await s.input.watermark(15)
    await s.input.push([ev('a', 2), ev('a', 3)], [9, 16])
    await s.input.end()
    assert.deepEqual(show(s.out.values), ['insert a [0,10) 1', 'insert a [10,20) 1'])
    const m = s.driver.metrics()['window-3'] ?? {}
    if (sideOutputLate) {
      assert.deepEqual(s.late.values, [ev('a', 2)])
      assert.deepEqual(s.late.timestamps, [9])
      assert.equal(m['lateRecordsSideOutput'], 1)
    } else {
      assert.deepEqual(s.late.values, [])
      assert.equal(m['lateRecordsDropped'], 1)
    }
  }
})

test('allowed lateness keeps the window and re-emits an update per late event, then drops after cleanup', async () => {
  const s = await setup((k) => k.window(TumblingEventTimeWindows.of(10)).allowedLateness(5).sideOutputLateData(LATE).aggregate(sum((e: Ev) => e.v)), {
    sideOutputLate: true,
  })
  await s.input.push([ev('a', 1), ev('a', 2)], [1, 2])
  await s.input.watermark(10)
  await s.input.push([ev('a', 10)], [3])
  await s.input.push([ev('a', 100)], [4])
  assert.deepEqual(show(s.out.values), ['insert a [0,10) 3', 'update a [0,10) 13', 'update a [0,10) 113'])
  await s.input.watermark(13)
  await s.input.push([ev('a', 1000)], [5])
  assert.equal(show(s.out.values).at(-1), 'update a [0,10) 1113', 'still within lateness: max timestamp 9 + 5 > 13')
  await s.input.watermark(14)
  await s.input.push([ev('a', 7)], [6])
  assert.equal(s.out.values.length, 4, 'window state is gone once the watermark passed end + lateness')
  assert.deepEqual(s.late.values, [ev('a', 7)])
})

test('sliding windows: each event counts in size/slide windows', async () => {
  const s = await setup((k) => k.window(SlidingEventTimeWindows.of(10, 5)).aggregate(count()))
  await s.input.push([ev('a'), ev('a'), ev('a')], [3, 7, 12])
  await s.input.end()
  assert.deepEqual(show(s.out.values), ['insert a [-5,5) 1', 'insert a [0,10) 2', 'insert a [5,15) 2', 'insert a [10,20) 1'])
})

test('cumulating windows: growing windows inside each period', async () => {
  const s = await setup((k) => k.window(CumulativeEventTimeWindows.of(30, 10)).aggregate(count()))
  await s.input.push([ev('a'), ev('a'), ev('a'), ev('a')], [2, 15, 25, 31])
  await s.input.watermark(29)
  assert.deepEqual(show(s.out.values), ['insert a [0,10) 1', 'insert a [0,20) 2', 'insert a [0,30) 3'])
  await s.input.end()
  assert.deepEqual(show(s.out.values).slice(3), ['insert a [30,40) 1', 'insert a [30,50) 1', 'insert a [30,60) 1'])
})

test('session windows merge when a gap fills, out of order', async () => {
  const s = await setup((k) => k.window(EventTimeSessionWindows.withGap(3)).aggregate(sum((e: Ev) => e.v)))
  await s.input.push([ev('a', 1), ev('a', 10), ev('b', 100)], [1, 5, 2])
  // a: [1,4) and [5,8) apart; b: [2,5)
  await s.input.push([ev('a', 1000)], [3])
  // a@3 → [3,6) touches both: one session [1,8)
  await s.input.watermark(20)
  assert.deepEqual(show(s.out.values).sort(), ['insert a [1,8) 1011', 'insert b [2,5) 100'])
})

test('session merging after a firing retracts the fired sessions (delete) and inserts the merged one', async () => {
  const s = await setup((k) => k.window(EventTimeSessionWindows.withGap(3)).allowedLateness(100).aggregate(count()))
  await s.input.push([ev('a'), ev('a')], [1, 5])
  await s.input.watermark(10)
  assert.deepEqual(show(s.out.values), ['insert a [1,4) 1', 'insert a [5,8) 1'])
  await s.input.push([ev('a')], [3])
  assert.deepEqual(show(s.out.values).slice(2), ['delete a [1,4) 1', 'delete a [5,8) 1', 'insert a [1,8) 3'])
})

test('global windows with a count trigger (countWindow): every N elements per key, purged', async () => {
  const s = await setup((k) => k.countWindow(3).aggregate(sum((e: Ev) => e.v)))
  await s.input.push([1, 2, 3, 4, 5, 6, 7].map((v) => ev('a', v)).concat([ev('b', 9)]), [1, 2, 3, 4, 5, 6, 7, 8])
  await s.input.end()
  assert.deepEqual(
    s.out.values.map((r) => `${r.kind} ${r.key} ${r.value}`),
    ['insert a 6', 'insert a 15'],
    'the incomplete count window never fires (as in Flink)',
  )
})

test('purging count trigger on tumbling windows emits deltas', async () => {
  const s = await setup((k) => k.window(TumblingEventTimeWindows.of(100)).trigger(PurgingTrigger.of(CountTrigger.of<TimeWindow>(2))).aggregate(count()))
  await s.input.push([ev('a'), ev('a'), ev('a'), ev('a'), ev('a')], [1, 2, 3, 4, 5])
  assert.deepEqual(show(s.out.values), ['insert a [0,100) 2', 'insert a [0,100) 2'])
})

test('early firings every N elements, then the final result as an update', async () => {
  const s = await setup((k) =>
    k
      .window(TumblingEventTimeWindows.of(10))
      .trigger(EventTimeTrigger.withEarlyFirings<TimeWindow>({ everyCount: 2 }))
      .aggregate(count()),
  )
  await s.input.push([ev('a'), ev('a'), ev('a'), ev('a'), ev('a')], [1, 2, 3, 4, 5])
  assert.deepEqual(show(s.out.values), ['insert a [0,10) 2', 'update a [0,10) 4'])
  await s.input.watermark(9)
  assert.deepEqual(show(s.out.values).slice(2), ['update a [0,10) 5'])
})

test('early firings every interval of processing time, only while data arrives', async () => {
  const s = await setup((k) =>
    k
      .window(TumblingEventTimeWindows.of(1000))
      .trigger(EventTimeTrigger.withEarlyFirings<TimeWindow>({ everyMs: 100 }))
      .aggregate(count()),
  )
  await s.input.push([ev('a'), ev('a')], [1, 2])
  await s.driver.advanceProcessingTime(99)
  assert.equal(s.out.values.length, 0)
  await s.driver.advanceProcessingTime(1)
  assert.deepEqual(show(s.out.values), ['insert a [0,1000) 2'])
  await s.driver.advanceProcessingTime(500)
  assert.equal(s.out.values.length, 1, 'nothing new arrived: no further early firing')
  await s.input.push([ev('a')], [3])
  await s.driver.advanceProcessingTime(100)
  await s.input.watermark(999)
  assert.deepEqual(show(s.out.values).slice(1), ['update a [0,1000) 3', 'update a [0,1000) 3'])
})

test('processing-time tumbling windows fire on the clock', async () => {
  const s = await setup((k) => k.window(TumblingProcessingTimeWindows.of(100)).aggregate(count()))
  await s.input.push([ev('a'), ev('b')])
  await s.driver.advanceProcessingTime(50)
  await s.input.push([ev('a')])
  assert.equal(s.out.values.length, 0)
  await s.driver.advanceProcessingTime(50)
  assert.deepEqual(show(s.out.values).sort(), ['insert a [0,100) 2', 'insert b [0,100) 1'])
  await s.input.push([ev('a')])
  await s.driver.advanceProcessingTime(100)
  assert.deepEqual(show(s.out.values).slice(2), ['insert a [100,200) 1'])
})

test('reduce and ProcessWindowFunction see key, window and firing', async () => {
  const s = await setup((k) =>
    k
      .window(TumblingEventTimeWindows.of(10))
      .allowedLateness(10)
      .reduce(
        (a, b) => ({ key: a.key, v: Math.max(a.v, b.v) }),
        {
          process(key, ctx, elements, out) {
            const w = ctx.window
            out.collect(`${key} ${w.start}-${w.end} max=${elements[0]?.v} ${ctx.firing.kind} early=${ctx.firing.early} late=${ctx.firing.late} n=${elements.length}`)
          },
        },
      ),
  )
  await s.input.push([ev('a', 3), ev('a', 8), ev('a', 5)], [1, 2, 3])
  await s.input.watermark(9)
  await s.input.push([ev('a', 9)], [4])
  assert.deepEqual(s.out.values, ['a 0-10 max=8 insert early=false late=false n=1', 'a 0-10 max=9 update early=false late=true n=1'])
})

test('process(): all window elements in order of arrival', async () => {
  const s = await setup((k) =>
    k.window(TumblingEventTimeWindows.of(10)).process<string>({
      process(key, ctx, elements, out) {
        out.collect(`${key}@${ctx.window.start}: ${elements.map((e) => e.v).join(',')}`)
      },
    }),
  )
  await s.input.push([ev('a', 3), ev('b', 1), ev('a', 1), ev('a', 2)], [5, 1, 2, 15])
  await s.input.end()
  assert.deepEqual(s.out.values.sort(), ['a@0: 3,1', 'a@10: 2', 'b@0: 1'])
})

test('event-sliding windows: one result per event over [t - range, t], out of order', async () => {
  const s = await setup((k) => k.window(EventSlidingWindows.of(5)).aggregate(sum((e: Ev) => e.v)))
  await s.input.push([ev('a', 1), ev('a', 100), ev('a', 10), ev('b', 7), ev('a', 1000)], [1, 6, 2, 2, 20])
  await s.input.watermark(6)
  // a@1: {1}; a@2: {1,10}; a@6: [1,6] → {1,10,100}; b@2: {7}
  assert.deepEqual(show(s.out.values).sort(), ['insert a [-3,3) 11', 'insert a [-4,2) 1', 'insert a [1,7) 111', 'insert b [-3,3) 7'])
  await s.input.end()
  assert.deepEqual(show(s.out.values).slice(4), ['insert a [15,21) 1000'])
})

test('event-sliding windows: late events within allowed lateness update the windows they belong to', async () => {
  const s = await setup((k) => k.window(EventSlidingWindows.of(5)).allowedLateness(10).sideOutputLateData(LATE).aggregate(count()), { sideOutputLate: true })
  await s.input.push([ev('a'), ev('a')], [10, 12])
  await s.input.watermark(12)
  assert.deepEqual(show(s.out.values), ['insert a [5,11) 1', 'insert a [7,13) 2'])
  await s.input.push([ev('a')], [8])
  // a@8 joins [5,11) and [7,13), and has its own window [3,9)
  assert.deepEqual(show(s.out.values).slice(2), ['insert a [3,9) 1', 'update a [5,11) 2', 'update a [7,13) 3'])
  await s.input.watermark(30)
  await s.input.push([ev('a')], [19])
  assert.deepEqual(s.late.values, [ev('a')])
})

test('event-time windows reject elements without timestamp', async () => {
  const s = await setup((k) => k.window(TumblingEventTimeWindows.of(10)).aggregate(count()))
  await assert.rejects(s.input.push([ev('a')]), /no timestamp/)
})

test('sliding count windows: every `slide` elements, over the last `size` of the key', async () => {
  const s = await setup((k) => k.countWindow(3, 2).aggregate(sum((e: Ev) => e.v)))
  await s.input.push([1, 2, 3, 4, 5, 6, 7].map((v) => ev('a', v)).concat([ev('b', 100), ev('b', 200)]), [1, 2, 3, 4, 5, 6, 7, 8, 9])
  assert.deepEqual(
    s.out.values.map((r) => `${r.kind} ${r.key} ${r.value}`),
    ['insert a 3', 'update a 9', 'update a 15', 'insert b 300'],
    'a: [1,2], [2,3,4], [4,5,6]; b: [100,200]',
  )
})

test('time evictor keeps the elements close to the newest one', async () => {
  const s = await setup((k) =>
    k
      .window(TumblingEventTimeWindows.of(100))
      .evictor(TimeEvictor.of<Ev, TimeWindow>(10))
      .process<string>({ process: (key, _ctx, elements, out) => out.collect(`${key}: ${elements.map((e) => e.v).join(',')}`) }),
  )
  await s.input.push([ev('a', 1), ev('a', 2), ev('a', 3), ev('a', 4)], [5, 50, 40, 45])
  await s.input.end()
  assert.deepEqual(s.out.values, ['a: 2,4'])
})
