import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { type AggregateFunction } from '../aggregate-function.ts'
import { DDSketch } from './ddsketch.ts'
import { percentile, percentileLabel, percentiles } from './percentiles.ts'
import { isTributaryError } from '../../../util/errors.ts'

function run<IN, ACC, OUT>(agg: AggregateFunction<IN, ACC, OUT>, input: Iterable<IN>): ACC {
  let acc = agg.createAccumulator()
  for (const v of input) acc = agg.add(acc, v)
  return acc
}

/** mulberry32: a small seeded PRNG so the large-sample tests are deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
}

const QUANTILES = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1]

/** Largest relative error of the sketch over QUANTILES, against the exact lower quantile. */
function worstRelativeError(sketch: DDSketch, values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort()
  let worst = 0
  for (const q of QUANTILES) {
    const exact = sorted[Math.floor(q * (sorted.length - 1))] as number
    const est = sketch.quantile(q) as number
    const err = exact === 0 ? Math.abs(est) : Math.abs(est - exact) / Math.abs(exact)
    worst = Math.max(worst, err)
  }
  return worst
}

function sketchOf(values: Iterable<number>, relativeAccuracy = 0.01, maxBuckets = 2048): DDSketch {
  const s = new DDSketch({ relativeAccuracy, maxBuckets })
  for (const v of values) s.add(v)
  return s
}

/** Everything but the float sum, which depends on addition order. */
function shape(s: DDSketch): unknown {
  const buckets = (store: DDSketch['positive']): number[][] => {
    const out: number[][] = []
    for (let i = store.minIndex; i <= store.maxIndex && store.total > 0; i++) {
      if (store.countAt(i) > 0) out.push([i, store.countAt(i)])
    }
    return out
  }
  return { count: s.count, min: s.min, max: s.max, zero: s.zeroCount, pos: buckets(s.positive), neg: buckets(s.negative) }
}

// Magnitudes within 1e-6..1e9 span ~1700 buckets at 1 %: no collapsing, so the guarantee holds.
const value = fc.oneof(
  fc.constant(0),
  fc.double({ min: 1e-6, max: 1e9, noNaN: true }),
  fc.double({ min: -1e9, max: -1e-6, noNaN: true }),
  fc.integer({ min: -1000, max: 1000 }),
)

describe('DDSketch', () => {
  it('every quantile is within the relative accuracy of the exact lower quantile (property)', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 300 }), fc.constantFrom(0.01, 0.02, 0.05), (xs, a) => {
        const err = worstRelativeError(sketchOf(xs, a), xs)
        assert.ok(err <= a * (1 + 1e-9), `error ${err} above ${a}`)
      }),
      { numRuns: 300 },
    )
  })

  it('stays within its accuracy on 200k samples of latency-like distributions', () => {
    const r = rng(42)
    const samples: Record<string, number[]> = { lognormal: [], exponential: [], pareto: [], uniform: [], bimodal: [] }
    for (let i = 0; i < 200_000; i++) {
      samples.lognormal?.push(Math.exp(3 + 1.5 * gaussian(r)))
      samples.exponential?.push(-Math.log(1 - r()) * 40)
      samples.pareto?.push(5 / Math.pow(1 - r(), 1 / 1.2))
      samples.uniform?.push(r() * 1000)
      samples.bimodal?.push(r() < 0.9 ? 2 + r() : 800 + 200 * r())
    }
    for (const [name, xs] of Object.entries(samples)) {
      // At 0.1 % a bucket is 0.2 % wide: 2048 of them cover only 4 decades, so allow more.
      for (const [a, maxBuckets] of [
        [0.01, 2048],
        [0.001, 20_000],
      ] as const) {
        const err = worstRelativeError(sketchOf(xs, a, maxBuckets), xs)
        assert.ok(err <= a * (1 + 1e-9), `${name} at ${a}: error ${err}`)
      }
    }
  })

  it('merge equals the sketch of the concatenation, with or without collapsing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), { maxLength: 200 }),
        fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), { maxLength: 200 }),
        fc.constantFrom(16, 64, 2048),
        (a, b, maxBuckets) => {
          const merged = sketchOf(a, 0.01, maxBuckets).mergeFrom(sketchOf(b, 0.01, maxBuckets))
          const whole = sketchOf([...a, ...b], 0.01, maxBuckets)
          assert.deepEqual(shape(merged), shape(whole))
          // Integers sum exactly, so the serialized forms must be identical too.
          assert.deepEqual(merged.serialize(), whole.serialize())
          const reversed = sketchOf([...b, ...a].reverse(), 0.01, maxBuckets)
          assert.deepEqual(reversed.serialize(), whole.serialize())
        },
      ),
    )
  })

  it('bounds memory: a range wider than maxBuckets collapses its smallest magnitudes only', () => {
    const xs: number[] = []
    for (let i = 0; i < 50_000; i++) xs.push(Math.pow(10, (i / 50_000) * 12)) // 1 .. 1e12, increasing
    const s = sketchOf(xs, 0.01, 256)
    assert.ok(s.positive.span <= 256)
    assert.equal(s.count, 50_000)
    // 256 buckets of 2 % cover the top ~1.7 decades of 12, i.e. ranks above ~86 %.
    const sorted = xs.slice().sort((p, q) => p - q)
    for (const q of [0.9, 0.95, 0.99, 0.999]) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))] as number
      const est = s.quantile(q) as number
      assert.ok(Math.abs(est - exact) <= 0.01 * exact * (1 + 1e-9), `q ${q}: ${est} vs ${exact}`)
    }
    // Below the kept range the answer is the lowest kept bucket, far above the truth.
    assert.ok((s.quantile(0.5) as number) > 10 * (sorted[25_000] as number))
  })

  it('ignores NaN and infinities', () => {
    const s = sketchOf([1, NaN, Infinity, -Infinity, 2])
    assert.equal(s.count, 2)
    assert.equal(s.max, 2)
  })

  it('serde round-trips and rejects corrupt bytes', () => {
    const r = rng(7)
    const s = sketchOf(Array.from({ length: 10_000 }, () => (r() - 0.3) * 1000))
    const bytes = s.serialize()
    const back = DDSketch.deserialize(bytes)
    assert.deepEqual(shape(back), shape(s))
    assert.equal(back.sum, s.sum)
    for (const q of QUANTILES) assert.equal(back.quantile(q), s.quantile(q))
    const isStateError = (e: unknown): boolean => isTributaryError(e, 'STATE_ERROR')
    for (const cut of [0, 5, 40, bytes.length - 1]) assert.throws(() => DDSketch.deserialize(bytes.subarray(0, cut)), isStateError)
    const badCount = bytes.slice()
    new DataView(badCount.buffer).setFloat64(14, s.count + 1)
    assert.throws(() => DDSketch.deserialize(badCount), isStateError)
    const badAccuracy = bytes.slice()
    new DataView(badAccuracy.buffer).setFloat64(2, 7)
    assert.throws(() => DDSketch.deserialize(badAccuracy), isStateError)
  })

  it('validates options and refuses to merge different accuracies', () => {
    const isInvalid = (e: unknown): boolean => isTributaryError(e, 'INVALID_ARGUMENT')
    assert.throws(() => new DDSketch({ relativeAccuracy: 0 }), isInvalid)
    assert.throws(() => new DDSketch({ relativeAccuracy: 1 }), isInvalid)
    assert.throws(() => new DDSketch({ maxBuckets: 4 }), isInvalid)
    assert.throws(() => new DDSketch().mergeFrom(new DDSketch({ relativeAccuracy: 0.02 })), isInvalid)
    assert.throws(() => new DDSketch().quantile(1.5), isInvalid)
  })
})

describe('percentiles / percentile', () => {
  interface Req {
    ms: number
  }

  it('label results p50 / p95 / p99.9 and return null for an empty window', () => {
    assert.equal(percentileLabel(0.999), 'p99.9')
    assert.equal(percentileLabel(0.5), 'p50')
    const agg = percentiles((r: Req) => r.ms, [0.5, 0.95, 0.999])
    assert.deepEqual(agg.getResult(agg.createAccumulator()), { p50: null, p95: null, 'p99.9': null })
    const acc = run(
      agg,
      Array.from({ length: 1000 }, (_, i) => ({ ms: i + 1 })),
    )
    const out = agg.getResult(acc)
    assert.deepEqual(Object.keys(out), ['p50', 'p95', 'p99.9'])
    assert.ok(Math.abs((out.p50 as number) - 500) <= 5)
    assert.ok(Math.abs((out.p95 as number) - 950) <= 9.5)
    const p95 = percentile((r: Req) => r.ms, 0.95)
    assert.equal(p95.getResult(run(p95, Array.from({ length: 1000 }, (_, i) => ({ ms: i + 1 })))), out.p95)
  })

  it('merge of partial windows equals the whole window, through the serde', () => {
    const agg = percentiles((x: number) => x, [0.5, 0.9, 0.99])
    const serde = agg.accumulatorSerde
    assert.ok(serde)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e6 }), { maxLength: 100 }), fc.array(fc.integer({ min: 0, max: 1e6 }), { maxLength: 100 }), (a, b) => {
        const pa = serde.deserialize(serde.serialize(run(agg, a)))
        const pb = serde.deserialize(serde.serialize(run(agg, b)))
        assert.deepEqual(agg.getResult(agg.merge(pa, pb)), agg.getResult(run(agg, [...a, ...b])))
      }),
    )
  })

  it('rejects bad quantiles', () => {
    const isInvalid = (e: unknown): boolean => isTributaryError(e, 'INVALID_ARGUMENT')
    assert.throws(() => percentiles((x: number) => x, []), isInvalid)
    assert.throws(() => percentiles((x: number) => x, [0.5, 1.01]), isInvalid)
    assert.throws(() => percentile((x: number) => x, NaN), isInvalid)
  })
})
