import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { type AggregateFunction } from '../aggregate-function.ts'
import { collect, first, last } from './selection.ts'
import { isTributaryError } from '../../../util/errors.ts'

function run<IN, ACC, OUT>(agg: AggregateFunction<IN, ACC, OUT>, input: readonly IN[]): ACC {
  let acc = agg.createAccumulator()
  for (const v of input) acc = agg.add(acc, v)
  return acc
}

interface Ev {
  id: number
  ts: number
}

describe('first / last', () => {
  it('follow arrival order without orderBy', () => {
    const input: Ev[] = [
      { id: 1, ts: 30 },
      { id: 2, ts: 10 },
      { id: 3, ts: 20 },
    ]
    assert.deepEqual(first<Ev>().getResult(run(first<Ev>(), input)), { id: 1, ts: 30 })
    const lastId = last((e: Ev) => e.id)
    assert.equal(lastId.getResult(run(lastId, input)), 3)
    assert.equal(lastId.getResult(lastId.createAccumulator()), null)
  })

  it('follow the ordering key with orderBy; ties keep the earlier (first) or later (last) arrival', () => {
    const input: Ev[] = [
      { id: 1, ts: 30 },
      { id: 2, ts: 10 },
      { id: 3, ts: 20 },
      { id: 4, ts: 10 },
      { id: 5, ts: 30 },
    ]
    const f = first((e: Ev) => e.id, { orderBy: (e) => e.ts })
    const l = last((e: Ev) => e.id, { orderBy: (e) => e.ts })
    assert.equal(f.getResult(run(f, input)), 2)
    assert.equal(l.getResult(run(l, input)), 5)
  })

  it('merge with orderBy equals aggregating the concatenation, in either merge order', () => {
    const ev = fc.record({ id: fc.nat(), ts: fc.integer({ min: 0, max: 50 }) })
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 30 }), fc.array(ev, { maxLength: 30 }), (a, b) => {
        // Distinct ids by position so the answer identifies one element.
        const all = [...a, ...b].map((e, i) => ({ id: i, ts: e.ts }))
        const pa = all.slice(0, a.length)
        const pb = all.slice(a.length)
        for (const agg of [
          first((e: Ev) => e.id, { orderBy: (e) => e.ts }),
          last((e: Ev) => e.id, { orderBy: (e) => e.ts }),
        ]) {
          const whole = agg.getResult(run(agg, all))
          assert.equal(agg.getResult(agg.merge(run(agg, pa), run(agg, pb))), whole)
          // Swapping the merge order changes only which of equal-key elements wins.
          const swapped = agg.getResult(agg.merge(run(agg, pb), run(agg, pa)))
          const ts = (id: number | null): number | undefined => (id === null ? undefined : all[id]?.ts)
          assert.equal(ts(swapped), ts(whole))
        }
      }),
    )
  })

  it('merge without orderBy treats the first accumulator as the earlier part', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 20 }), (a, b) => {
        for (const agg of [first<number>(), last<number>()]) {
          const whole = agg.getResult(run(agg, [...a, ...b]))
          assert.equal(agg.getResult(agg.merge(run(agg, a), run(agg, b))), whole)
        }
      }),
    )
  })
})

describe('collect', () => {
  it('keeps elements in arrival order, up to the limit', () => {
    const all = collect((e: Ev) => e.id)
    const input = [3, 1, 2].map((id) => ({ id, ts: 0 }))
    assert.deepEqual(all.getResult(run(all, input)), [3, 1, 2])
    const two = collect((e: Ev) => e.id, { limit: 2 })
    assert.deepEqual(two.getResult(run(two, input)), [3, 1])
  })

  it('merge appends up to the limit, like collecting the concatenation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 20 }),
        fc.array(fc.integer(), { maxLength: 20 }),
        fc.option(fc.nat({ max: 25 }), { nil: undefined }),
        (a, b, limit) => {
          const agg = limit === undefined ? collect<number>() : collect<number>(undefined, { limit })
          assert.deepEqual(agg.getResult(agg.merge(run(agg, a), run(agg, b))), agg.getResult(run(agg, [...a, ...b])))
        },
      ),
    )
  })

  it('getResult returns a copy that later adds do not change', () => {
    const agg = collect<number>()
    const acc = run(agg, [1, 2])
    const out = agg.getResult(acc)
    agg.add(acc, 3)
    assert.deepEqual(out, [1, 2])
  })

  it('rejects a bad limit', () => {
    assert.throws(() => collect(undefined, { limit: -1 }), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
    assert.throws(() => collect(undefined, { limit: 1.5 }), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  })
})
