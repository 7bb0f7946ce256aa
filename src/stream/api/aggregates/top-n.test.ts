import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { type AggregateFunction } from '../aggregate-function.ts'
import { topN } from './top-n.ts'
import { type TopNEntry, compareKeys } from './counters.ts'
import { isTributaryError } from '../../../util/errors.ts'

function run<IN, ACC, OUT>(agg: AggregateFunction<IN, ACC, OUT>, input: Iterable<IN>): ACC {
  let acc = agg.createAccumulator()
  for (const v of input) acc = agg.add(acc, v)
  return acc
}

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` draws of keys `u0..u{keys-1}` with Zipf(s) popularity. */
function zipf(count: number, keys: number, s: number, seed: number): string[] {
  const cdf = new Float64Array(keys)
  let total = 0
  for (let k = 0; k < keys; k++) {
    total += 1 / Math.pow(k + 1, s)
    cdf[k] = total
  }
  const r = rng(seed)
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const u = r() * total
    let lo = 0
    let hi = keys - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cdf[mid] as number) < u) lo = mid + 1
      else hi = mid
    }
    out.push(`u${lo}`)
  }
  return out
}

function exactTop<K extends string | number>(totals: Map<K, number>, n: number): TopNEntry<K>[] {
  return [...totals]
    .map(([key, value]) => ({ key, value, maxError: 0 }))
    .sort((a, b) => (a.value !== b.value ? b.value - a.value : compareKeys(a.key, b.key)))
    .slice(0, n)
}

function tally<T, K>(xs: readonly T[], key: (x: T) => K, weight: (x: T) => number = () => 1): Map<K, number> {
  const m = new Map<K, number>()
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + weight(x))
  return m
}

interface Sale {
  zone: number
  fare: number
}

const sale = fc.record({ zone: fc.integer({ min: 1, max: 12 }), fare: fc.integer({ min: 0, max: 100 }) })

describe('topN exact', () => {
  it('equals sorting exact counts (and sums), ties by key', () => {
    fc.assert(
      fc.property(fc.array(sale, { maxLength: 120 }), fc.integer({ min: 1, max: 15 }), (sales, n) => {
        const byCount = topN((s: Sale) => s.zone, n)
        assert.deepEqual(byCount.getResult(run(byCount, sales)), exactTop(tally(sales, (s) => s.zone), n))
        const byFare = topN((s: Sale) => s.zone, n, { by: (s) => s.fare })
        assert.deepEqual(
          byFare.getResult(run(byFare, sales)),
          exactTop(
            tally(sales, (s) => s.zone, (s) => s.fare),
            n,
          ),
        )
      }),
    )
  })

  it('merge equals the concatenation, also through the serde', () => {
    const agg = topN((s: Sale) => `zone-${s.zone}`, 5, { by: (s) => s.fare })
    const serde = agg.accumulatorSerde
    assert.ok(serde)
    fc.assert(
      fc.property(fc.array(sale, { maxLength: 60 }), fc.array(sale, { maxLength: 60 }), (a, b) => {
        const pa = serde.deserialize(serde.serialize(run(agg, a)))
        const pb = serde.deserialize(serde.serialize(run(agg, b)))
        assert.deepEqual(agg.getResult(agg.merge(pa, pb)), agg.getResult(run(agg, [...a, ...b])))
      }),
    )
  })

  it('validates n and capacity', () => {
    const isInvalid = (e: unknown): boolean => isTributaryError(e, 'INVALID_ARGUMENT')
    assert.throws(() => topN((s: string) => s, 0), isInvalid)
    assert.throws(() => topN((s: string) => s, 10, { capacity: 5 }), isInvalid)
    assert.throws(() => topN((s: string) => s, 2.5), isInvalid)
  })
})

describe('topN with a Space-Saving summary', () => {
  const N = 200_000
  const CAPACITY = 200
  const stream = zipf(N, 50_000, 1.1, 1)
  const truth = tally(stream, (k) => k)

  function checkBounds(entries: readonly TopNEntry<string>[], total: number, errorFactor: number): void {
    for (const e of entries) {
      const t = truth.get(e.key) ?? 0
      assert.ok(t <= e.value && t >= e.value - e.maxError, `${e.key}: true ${t} outside [${e.value - e.maxError}, ${e.value}]`)
      assert.ok(e.maxError <= (errorFactor * total) / CAPACITY, `${e.key}: error ${e.maxError}`)
    }
  }

  it('keeps every count within its error bound (at most N/capacity) and finds the exact top 10 on skewed data', () => {
    const agg = topN((k: string) => k, 10, { capacity: CAPACITY })
    const acc = run(agg, stream)
    const top = agg.getResult(acc)
    assert.deepEqual(
      top.map((e) => e.key),
      exactTop(truth, 10).map((e) => e.key),
    )
    checkBounds(acc.top(CAPACITY), N, 1)
    // Every key heavier than N/capacity must be in the summary.
    const kept = new Set(acc.top(CAPACITY).map((e) => e.key))
    for (const [k, c] of truth) if (c > N / CAPACITY) assert.ok(kept.has(k), `heavy key ${k} (${c}) missing`)
  })

  it('merged partial summaries keep valid bounds and the exact top 10', () => {
    const agg = topN((k: string) => k, 10, { capacity: CAPACITY })
    const serde = agg.accumulatorSerde
    assert.ok(serde)
    const parts = [stream.slice(0, 70_000), stream.slice(70_000, 120_000), stream.slice(120_000)]
    const accs = parts.map((p) => serde.deserialize(serde.serialize(run(agg, p))))
    const merged = accs.reduce((a, b) => agg.merge(a, b))
    assert.deepEqual(
      agg.getResult(merged).map((e) => e.key),
      exactTop(truth, 10).map((e) => e.key),
    )
    // Each merge may add the other side's floor: errors add up over the three parts.
    checkBounds(merged.top(CAPACITY), N, 3)
  })

  it('equals exact counting while the keys fit in the capacity', () => {
    fc.assert(
      fc.property(fc.array(sale, { maxLength: 100 }), (sales) => {
        const exact = topN((s: Sale) => s.zone, 5, { by: (s) => s.fare })
        const summary = topN((s: Sale) => s.zone, 5, { by: (s) => s.fare, capacity: 12 })
        assert.deepEqual(summary.getResult(run(summary, sales)), exact.getResult(run(exact, sales)))
      }),
    )
  })

  it('rejects negative weights and mixing counter kinds', () => {
    const agg = topN((s: Sale) => s.zone, 3, { by: (s) => s.fare, capacity: 10 })
    assert.throws(
      () => run(agg, [{ zone: 1, fare: -5 }]),
      (e) => isTributaryError(e, 'INVALID_ARGUMENT'),
    )
    const exact = topN((s: Sale) => s.zone, 3)
    assert.throws(
      () => agg.merge(agg.createAccumulator(), exact.createAccumulator()),
      (e) => isTributaryError(e, 'INVALID_ARGUMENT'),
    )
  })

  it('serde rejects corrupt bytes', () => {
    const agg = topN((k: string) => k, 3, { capacity: 10 })
    const serde = agg.accumulatorSerde
    assert.ok(serde)
    const bytes = serde.serialize(run(agg, ['a', 'b', 'a', 'c']))
    const isStateError = (e: unknown): boolean => isTributaryError(e, 'STATE_ERROR')
    for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => serde.deserialize(bytes.subarray(0, cut)), isStateError)
    const bigCapacity = bytes.slice()
    new DataView(bigCapacity.buffer).setUint32(3, 0xffffffff)
    assert.throws(() => serde.deserialize(bigCapacity), isStateError)
  })
})
