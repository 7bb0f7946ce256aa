import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Histogram } from './histogram.ts'
import { isTributaryError } from '../util/errors.ts'

/** Nearest-rank quantile of the exact values. */
function exactQuantile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length))
  return sorted[rank - 1] as number
}

test('quantiles stay within the documented error bound of the exact nearest-rank value', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 0, max: 1e12, noNaN: true }), { minLength: 1, maxLength: 400 }),
      fc.constantFrom(0.001, 1, 7),
      fc.integer({ min: 2, max: 10 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (values, resolution, bits, q) => {
        const h = new Histogram({ resolution, bits })
        for (const v of values) h.record(v)
        const sorted = [...values].sort((a, b) => a - b)
        const exact = exactQuantile(sorted, q)
        const got = h.quantile(q)
        const bound = Math.max(exact / 2 ** bits, resolution) * (1 + 1e-9)
        assert.ok(Math.abs(got - exact) <= bound, `q=${q} exact=${exact} got=${got} bound=${bound}`)
      },
    ),
    { numRuns: 300 },
  )
})

test('count, sum, min, max and mean are exact', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 200 }), (values) => {
      const h = new Histogram()
      for (const v of values) h.record(v)
      const snap = h.snapshot()
      assert.equal(snap.count, values.length)
      assert.equal(snap.sum, values.reduce((a, b) => a + b, 0))
      assert.equal(snap.min, Math.min(...values))
      assert.equal(snap.max, Math.max(...values))
      assert.equal(snap.mean, snap.sum / snap.count)
    }),
  )
})

test('small integers are exact with the default resolution', () => {
  const h = new Histogram()
  for (let v = 1; v <= 100; v++) h.record(v)
  assert.equal(h.quantile(0.5), 50)
  assert.equal(h.quantile(0.95), 95)
  assert.equal(h.quantile(0.99), 99)
  assert.equal(h.quantile(1), 100)
})

test('values past 2^32 and up to the safe integer limit land in distinct ordered buckets', () => {
  const h = new Histogram({ bits: 4 })
  const big = [2 ** 33, 2 ** 40 + 12345, 2 ** 52, Number.MAX_SAFE_INTEGER]
  for (const v of big) h.record(v)
  for (let i = 0; i < big.length; i++) {
    const got = h.quantile((i + 1) / big.length)
    const exact = big[i] as number
    assert.ok(Math.abs(got - exact) <= exact / 16, `${got} vs ${exact}`)
  }
})

test('recordMany weights a value, negative values count as zero and non-finite ones are ignored', () => {
  const h = new Histogram()
  h.recordMany(10, 99)
  h.record(1000)
  h.record(-5)
  h.record(NaN)
  h.record(Infinity)
  assert.equal(h.count, 101)
  assert.equal(h.min, 0)
  assert.equal(h.quantile(0.5), 10)
  assert.equal(h.quantile(1), 1000)
})

test('an empty histogram reports zeros; reset empties it', () => {
  const h = new Histogram()
  assert.deepEqual(h.snapshot(), { count: 0, sum: 0, min: 0, max: 0, mean: 0, p50: 0, p95: 0, p99: 0, p999: 0 })
  h.record(5)
  h.reset()
  assert.equal(h.count, 0)
  assert.equal(h.quantile(0.99), 0)
})

test('bad options and quantiles are rejected', () => {
  assert.throws(() => new Histogram({ resolution: 0 }), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => new Histogram({ bits: 17 }), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => new Histogram().quantile(1.5), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
})
