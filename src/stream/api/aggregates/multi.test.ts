import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { type AggregateFunction } from '../aggregate-function.ts'
import { avg, count, max, sum } from './basic.ts'
import { approxCountDistinct, countDistinct } from './distinct.ts'
import { filtered, multi } from './multi.ts'
import { percentile } from './percentiles.ts'
import { topN } from './top-n.ts'
import { first } from './selection.ts'
import { isTributaryError } from '../../../util/errors.ts'

function run<IN, ACC, OUT>(agg: AggregateFunction<IN, ACC, OUT>, input: Iterable<IN>): ACC {
  let acc = agg.createAccumulator()
  for (const v of input) acc = agg.add(acc, v)
  return acc
}

interface Req {
  user: string
  ms: number
}

const req = fc.record({ user: fc.constantFrom('ann', 'bob', 'cy', 'dee'), ms: fc.integer({ min: 1, max: 5000 }) })

describe('multi', () => {
  it('gives each part the result it computes alone', () => {
    fc.assert(
      fc.property(fc.array(req, { maxLength: 80 }), (reqs) => {
        const parts = {
          requests: count<Req>(),
          total: sum((r: Req) => r.ms),
          slowest: max((r: Req) => r.ms),
          p95: percentile((r: Req) => r.ms, 0.95),
          users: countDistinct((r: Req) => r.user),
          approxUsers: approxCountDistinct((r: Req) => r.user, { precision: 6 }),
          heavy: topN((r: Req) => r.user, 2),
        }
        const agg = multi(parts)
        const out = agg.getResult(run(agg, reqs))
        assert.deepEqual(Object.keys(out), Object.keys(parts))
        assert.equal(out.requests, reqs.length)
        assert.equal(out.total, parts.total.getResult(run(parts.total, reqs)))
        assert.equal(out.slowest, parts.slowest.getResult(run(parts.slowest, reqs)))
        assert.equal(out.p95, parts.p95.getResult(run(parts.p95, reqs)))
        assert.equal(out.users, new Set(reqs.map((r) => r.user)).size)
        assert.equal(out.approxUsers, parts.approxUsers.getResult(run(parts.approxUsers, reqs)))
        assert.deepEqual(out.heavy, parts.heavy.getResult(run(parts.heavy, reqs)))
      }),
    )
  })

  it('merges part by part, through the serde when a part needs one', () => {
    const agg = multi({
      n: count<Req>(),
      mean: avg((r: Req) => r.ms),
      firstUser: first((r: Req) => r.user),
      users: countDistinct((r: Req) => r.user),
      p50: percentile((r: Req) => r.ms, 0.5),
    })
    const serde = agg.accumulatorSerde
    assert.ok(serde)
    fc.assert(
      fc.property(fc.array(req, { maxLength: 50 }), fc.array(req, { maxLength: 50 }), (a, b) => {
        const pa = serde.deserialize(serde.serialize(run(agg, a)))
        const pb = serde.deserialize(serde.serialize(run(agg, b)))
        assert.deepEqual(agg.getResult(agg.merge(pa, pb)), agg.getResult(run(agg, [...a, ...b])))
      }),
    )
  })

  it('has no serde when every part is plain JSON', () => {
    const agg = multi({ n: count<Req>(), mean: avg((r: Req) => r.ms) })
    assert.equal(agg.accumulatorSerde, undefined)
    const acc = run(agg, [
      { user: 'a', ms: 10 },
      { user: 'b', ms: 20 },
    ])
    assert.deepEqual(agg.getResult(JSON.parse(JSON.stringify(acc)) as unknown[]), { n: 2, mean: 15 })
  })

  it('rejects an empty spec and bytes of a different shape', () => {
    assert.throws(() => multi({}), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
    const two = multi({ users: countDistinct((r: Req) => r.user), n: count<Req>() })
    const three = multi({ users: countDistinct((r: Req) => r.user), n: count<Req>(), m: count<Req>() })
    const bytes = two.accumulatorSerde?.serialize(two.createAccumulator())
    assert.ok(bytes)
    assert.throws(() => three.accumulatorSerde?.deserialize(bytes), (e) => isTributaryError(e, 'STATE_ERROR'))
    const swapped = multi({ n: count<Req>(), users: countDistinct((r: Req) => r.user) })
    assert.throws(() => swapped.accumulatorSerde?.deserialize(bytes), (e) => isTributaryError(e, 'STATE_ERROR'))
  })
})

describe('filtered', () => {
  it('counts like SQL FILTER (WHERE ...)', () => {
    fc.assert(
      fc.property(fc.array(req, { maxLength: 80 }), (reqs) => {
        const agg = multi({
          all: count<Req>(),
          slow: filtered((r: Req) => r.ms >= 1000, count()),
          slowUsers: filtered((r: Req) => r.ms >= 1000, countDistinct((r: Req) => r.user)),
        })
        const slow = reqs.filter((r) => r.ms >= 1000)
        assert.deepEqual(agg.getResult(run(agg, reqs)), {
          all: reqs.length,
          slow: slow.length,
          slowUsers: new Set(slow.map((r) => r.user)).size,
        })
      }),
    )
  })
})
