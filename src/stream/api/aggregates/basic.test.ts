import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { type AggregateFunction } from '../aggregate-function.ts'
import { avg, count, max, min, sum } from './basic.ts'

function run<IN, ACC, OUT>(agg: AggregateFunction<IN, ACC, OUT>, input: readonly IN[]): ACC {
  let acc = agg.createAccumulator()
  for (const v of input) acc = agg.add(acc, v)
  return acc
}

function result<IN, ACC, OUT>(agg: AggregateFunction<IN, ACC, OUT>, input: readonly IN[]): OUT {
  return agg.getResult(run(agg, input))
}

/** Aggregating a ++ b must equal merging the aggregates of a and b (through a JSON round trip). */
function assertMergeMatches<IN, ACC, OUT>(agg: AggregateFunction<IN, ACC, OUT>, a: readonly IN[], b: readonly IN[]): void {
  const viaJson = (acc: ACC): ACC => JSON.parse(JSON.stringify(acc)) as ACC
  const merged = agg.getResult(agg.merge(viaJson(run(agg, a)), viaJson(run(agg, b))))
  assert.deepEqual(merged, result(agg, [...a, ...b]))
}

interface Req {
  ms: number
}
const ms = (r: Req): number => r.ms
const reqs = (xs: number[]): Req[] => xs.map((x) => ({ ms: x }))

describe('basic aggregates', () => {
  it('compute exact values', () => {
    const input = reqs([5, -2, 7.5, 0, 3])
    assert.equal(result(count<Req>(), input), 5)
    assert.equal(result(sum(ms), input), 13.5)
    assert.equal(result(min(ms), input), -2)
    assert.equal(result(max(ms), input), 7.5)
    assert.equal(result(avg(ms), input), 2.7)
  })

  it('report null (or zero) for an empty window', () => {
    assert.equal(result(count<Req>(), []), 0)
    assert.equal(result(sum(ms), []), 0)
    assert.equal(result(min(ms), []), null)
    assert.equal(result(max(ms), []), null)
    assert.equal(result(avg(ms), []), null)
  })

  it('skip NaN values like SQL NULLs', () => {
    const input = reqs([NaN, 4, NaN, 2])
    assert.equal(result(sum(ms), input), 6)
    assert.equal(result(min(ms), input), 2)
    assert.equal(result(max(ms), input), 4)
    assert.equal(result(avg(ms), input), 3)
    assert.equal(result(min(ms), reqs([NaN])), null)
  })

  it('sum with compensation keeps small terms next to a large one', () => {
    const input = reqs([1e16, ...Array.from({ length: 1000 }, () => 1), -1e16])
    assert.equal(result(sum(ms), input), 1000)
    // Plain left-to-right addition loses all of them: the point of the compensation.
    assert.equal(
      input.reduce((s, r) => s + r.ms, 0),
      0,
    )
    assert.equal(result(avg(ms), input), 1000 / 1002)
  })

  it('sum overflowing to infinity stays infinite instead of NaN', () => {
    assert.equal(result(sum(ms), reqs([Number.MAX_VALUE, Number.MAX_VALUE, 1])), Infinity)
    assert.ok(Number.isNaN(result(sum(ms), reqs([Infinity, -Infinity]))))
  })

  it('merge equals aggregating the concatenated input (integers, so sums are exact)', () => {
    const arr = fc.array(fc.integer({ min: -1e9, max: 1e9 }), { maxLength: 60 })
    fc.assert(
      fc.property(arr, arr, (xa, xb) => {
        const a = reqs(xa)
        const b = reqs(xb)
        assertMergeMatches(count<Req>(), a, b)
        assertMergeMatches(sum(ms), a, b)
        assertMergeMatches(min(ms), a, b)
        assertMergeMatches(max(ms), a, b)
        assertMergeMatches(avg(ms), a, b)
      }),
    )
  })

  it('results do not depend on input order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 60 }), fc.infiniteStream(fc.nat()), (xs, rnd) => {
        const shuffled = xs.slice()
        const it = rnd[Symbol.iterator]()
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (it.next().value as number) % (i + 1)
          ;[shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number]
        }
        for (const agg of [sum(ms), min(ms), max(ms), avg(ms)] as AggregateFunction<Req, unknown, unknown>[]) {
          assert.deepEqual(result(agg, reqs(xs)), result(agg, reqs(shuffled)))
        }
        const sorted = xs.slice().sort((p, q) => p - q)
        assert.equal(result(min(ms), reqs(xs)), sorted[0])
        assert.equal(result(max(ms), reqs(xs)), sorted[sorted.length - 1])
      }),
    )
  })
})
