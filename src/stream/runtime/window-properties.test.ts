import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ManualClock } from '../../util/clock.ts'
import { count } from '../api/aggregates/index.ts'
import { type WindowResult } from '../api/changelog.ts'
import { CollectingSink } from '../api/sink.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { type TimeWindow, windowStart } from '../api/window.ts'
import { EventTimeSessionWindows, TumblingEventTimeWindows } from '../api/window-assigner.ts'
import { TestPipelineDriver } from '../testing/test-pipeline-driver.ts'

interface Ev {
  key: string
  ts: number
}

type Op = { kind: 'push'; events: Ev[]; cuts: number[] } | { kind: 'watermark'; to: number }

const SIZE = 10

const evArb = fc.record({ key: fc.constantFrom('a', 'b', 'c'), ts: fc.integer({ min: -20, max: 120 }) })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('push' as const), events: fc.array(evArb, { minLength: 1, maxLength: 12 }), cuts: fc.array(fc.integer({ min: 1, max: 11 }), { maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('watermark' as const), to: fc.integer({ min: -10, max: 130 }) }) },
)

type Results = WindowResult<string, number, TimeWindow>[]

async function runTumbling(ops: readonly Op[], split: boolean): Promise<Results> {
  const env = StreamEnvironment.create({ clock: new ManualClock() })
  const out = new CollectingSink<WindowResult<string, number, TimeWindow>>()
  env
    .fromCollection<Ev>([], { name: 'in' })
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(SIZE))
    .aggregate(count())
    .sinkTo(out)
  const d = await TestPipelineDriver.create(env)
  const input = d.input<Ev>('in')
  for (const op of ops) {
    if (op.kind === 'watermark') {
      await input.watermark(op.to)
      continue
    }
    // The same events, cut into batches at different places.
    const cuts = split ? [...new Set(op.cuts.filter((c) => c < op.events.length))].sort((x, y) => x - y) : []
    let from = 0
    for (const to of [...cuts, op.events.length]) {
      const batch = op.events.slice(from, to)
      await input.push(batch, batch.map((e) => e.ts))
      from = to
    }
  }
  await input.end()
  return out.values
}

function canonical(results: Results): string[] {
  return results.map((r) => `${r.kind}|${r.key}|${r.window.start}|${r.value}`).sort()
}

test('tumbling windows: per-window counts match a model, and their sum is the number of non-late events', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 10 }), async (ops) => {
      const results = await runTumbling(ops, false)
      // Model: an event is late when its window's max timestamp is at or behind the watermark.
      const expected = new Map<string, number>()
      let wm = Number.NEGATIVE_INFINITY
      let onTime = 0
      for (const op of ops) {
        if (op.kind === 'watermark') {
          wm = Math.max(wm, op.to)
          continue
        }
        for (const e of op.events) {
          const start = windowStart(e.ts, 0, SIZE)
          if (start + SIZE - 1 <= wm) continue
          onTime++
          const k = `${e.key}|${start}`
          expected.set(k, (expected.get(k) ?? 0) + 1)
        }
      }
      const total = results.reduce((n, r) => n + r.value, 0)
      assert.equal(total, onTime)
      assert.deepEqual(new Map(results.map((r) => [`${r.key}|${r.window.start}`, r.value])), expected)
      assert.ok(results.every((r) => r.kind === 'insert'), 'each window fires once')
    }),
    { numRuns: 150 },
  )
})

test('tumbling windows: results do not depend on where input batches are cut', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 10 }), async (ops) => {
      assert.deepEqual(canonical(await runTumbling(ops, true)), canonical(await runTumbling(ops, false)))
    }),
    { numRuns: 100 },
  )
})

test('session windows: the final sessions do not depend on arrival order', async () => {
  const run = async (events: readonly Ev[]): Promise<string[]> => {
    const env = StreamEnvironment.create({ clock: new ManualClock() })
    const out = new CollectingSink<WindowResult<string, number, TimeWindow>>()
    env.fromCollection<Ev>([], { name: 'in' }).keyBy((e) => e.key).window(EventTimeSessionWindows.withGap(5)).aggregate(count()).sinkTo(out)
    const d = await TestPipelineDriver.create(env)
    for (const e of events) await d.input<Ev>('in').push([e], [e.ts])
    await d.input<Ev>('in').end()
    return out.values.map((r) => `${r.key}|${r.window.start}|${r.window.end}|${r.value}`).sort()
  }
  await fc.assert(
    fc.asyncProperty(
      fc.array(evArb, { maxLength: 25 }).chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))),
      async ([events, shuffled]) => {
        const a = await run(events)
        assert.deepEqual(await run(shuffled), a)
        // Model check: sessions of a key split its events where they are more than the gap apart
        // (windows [t, t + gap) that touch merge, as in Flink).
        const byKey = new Map<string, number[]>()
        for (const e of events) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e.ts])
        let sessions = 0
        for (const ts of byKey.values()) {
          ts.sort((x, y) => x - y)
          sessions += 1 + ts.slice(1).filter((t, i) => t - (ts[i] as number) > 5).length
        }
        assert.equal(a.length, sessions)
      },
    ),
    { numRuns: 100 },
  )
})
