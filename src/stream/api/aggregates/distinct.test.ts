import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { type AggregateFunction } from '../aggregate-function.ts'
import { approxCountDistinct, countDistinct } from './distinct.ts'
import { HyperLogLog } from './hyperloglog.ts'
import { hashOut, hashValue } from './hash.ts'
import { isTributaryError } from '../../../util/errors.ts'
import { type DistinctKey } from './bytes.ts'

function run<IN, ACC, OUT>(agg: AggregateFunction<IN, ACC, OUT>, input: Iterable<IN>): ACC {
  let acc = agg.createAccumulator()
  for (const v of input) acc = agg.add(acc, v)
  return acc
}

const isStateError = (e: unknown): boolean => isTributaryError(e, 'STATE_ERROR')
const isInvalidArgument = (e: unknown): boolean => isTributaryError(e, 'INVALID_ARGUMENT')

function hashOf(v: DistinctKey): [number, number] {
  hashValue(v)
  return [hashOut[0] as number, hashOut[1] as number]
}

const key = fc.oneof(fc.string({ maxLength: 8, unit: 'binary' }), fc.integer({ min: -50, max: 50 }), fc.double())

describe('hash', () => {
  it('agrees for equal keys and separates the number 1 from the string "1"', () => {
    assert.deepEqual(hashOf(0), hashOf(-0))
    assert.deepEqual(hashOf(NaN), hashOf(0 / 0))
    assert.deepEqual(hashOf('tributary'), hashOf('tribu' + 'tary'))
    assert.notDeepEqual(hashOf(1), hashOf('1'))
    assert.notDeepEqual(hashOf(''), hashOf('\u0000'))
    assert.notDeepEqual(hashOf('ab'), hashOf('ba'))
  })
})

describe('countDistinct', () => {
  const agg = countDistinct((k: DistinctKey) => k)

  it('equals the size of a Set of the keys, and merge equals the concatenation', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 50 }), fc.array(key, { maxLength: 50 }), (a, b) => {
        assert.equal(agg.getResult(run(agg, a)), new Set(a).size)
        assert.equal(agg.getResult(agg.merge(run(agg, a), run(agg, b))), new Set([...a, ...b]).size)
        assert.equal(agg.getResult(agg.merge(run(agg, b), run(agg, a))), new Set([...a, ...b]).size)
      }),
    )
  })

  it('serde round-trips every key exactly, and any truncation fails cleanly', () => {
    const serde = agg.accumulatorSerde
    assert.ok(serde)
    fc.assert(
      fc.property(fc.array(key, { maxLength: 30 }), fc.nat(), (keys, cut) => {
        const acc = run(agg, keys)
        const bytes = serde.serialize(acc)
        assert.deepEqual(serde.deserialize(bytes), acc)
        const end = cut % bytes.length
        assert.throws(() => serde.deserialize(bytes.subarray(0, end)), isStateError)
      }),
    )
  })

  it('rejects a key count larger than the bytes could hold, before allocating', () => {
    const bytes = agg.accumulatorSerde?.serialize(new Set(['a']))
    assert.ok(bytes)
    const forged = bytes.slice()
    new DataView(forged.buffer).setUint32(2, 0xffffffff)
    assert.throws(() => agg.accumulatorSerde?.deserialize(forged), /count 4294967295 exceeds/)
  })
})

describe('approxCountDistinct (HyperLogLog)', () => {
  function sketchOf(prefix: string, from: number, to: number, precision = 14): HyperLogLog {
    const h = new HyperLogLog(precision)
    for (let i = from; i < to; i++) h.add(`${prefix}${i}`)
    return h
  }

  it('stays within 3 standard errors (1.04/sqrt(m)) on 100k-1M distinct values', () => {
    const sigma = 1.04 / Math.sqrt(1 << 14)
    const errors: number[] = []
    for (const [seed, n] of [
      [1, 100_000],
      [2, 150_000],
      [3, 200_000],
      [4, 300_000],
      [5, 1_000_000],
    ] as const) {
      const err = sketchOf(`user-${seed}-`, 0, n).estimate() / n - 1
      errors.push(err)
      assert.ok(Math.abs(err) < 3 * sigma, `seed ${seed}, n ${n}: error ${err} beyond 3 sigma ${3 * sigma}`)
    }
    // Numeric keys take a different hashing path.
    const ints = new HyperLogLog(14)
    for (let i = 0; i < 500_000; i++) ints.add(i * 7 + 3)
    assert.ok(Math.abs(ints.estimate() / 500_000 - 1) < 3 * sigma)
    // The errors must not all lean one way by more than a sigma (a biased estimator would).
    const mean = errors.reduce((s, e) => s + e, 0) / errors.length
    assert.ok(Math.abs(mean) < sigma, `mean error ${mean}`)
  })

  it('is accurate at small cardinalities through linear counting', () => {
    for (const n of [1, 10, 100, 1000, 5000]) {
      const est = sketchOf('small-', 0, n).estimate()
      assert.ok(Math.abs(est - n) <= Math.max(1, 0.02 * n), `n ${n}: estimate ${est}`)
    }
    assert.equal(new HyperLogLog(14).estimate(), 0)
  })

  it('ignores repeats: adding every value five times changes no register', () => {
    const once = sketchOf('r', 0, 20_000, 12)
    const many = new HyperLogLog(12)
    for (let rep = 0; rep < 5; rep++) for (let i = 0; i < 20_000; i++) many.add(`r${i}`)
    assert.deepEqual(many.registers, once.registers)
  })

  it('merge equals the sketch of the union, and its estimate tracks the union size', () => {
    // A = [0, 300k), B = [200k, 500k): union of 500k, overlap of 100k.
    const a = sketchOf('m', 0, 300_000)
    const b = sketchOf('m', 200_000, 500_000)
    const union = sketchOf('m', 0, 500_000)
    const merged = a.mergeFrom(b)
    assert.deepEqual(merged.registers, union.registers)
    assert.ok(Math.abs(merged.estimate() / 500_000 - 1) < 3 * merged.standardError)
  })

  it('as an aggregate: merge of partials equals aggregating the concatenation', () => {
    const agg = approxCountDistinct((k: DistinctKey) => k, { precision: 8 })
    fc.assert(
      fc.property(fc.array(key, { maxLength: 200 }), fc.array(key, { maxLength: 200 }), (a, b) => {
        const merged = agg.merge(run(agg, a), run(agg, b))
        const whole = run(agg, [...a, ...b])
        assert.deepEqual(merged.registers, whole.registers)
        assert.equal(agg.getResult(merged), agg.getResult(whole))
      }),
    )
  })

  it('serde round-trips and rejects corrupt bytes', () => {
    const agg = approxCountDistinct((s: string) => s, { precision: 10 })
    const serde = agg.accumulatorSerde
    assert.ok(serde)
    const acc = run(agg, Array.from({ length: 5000 }, (_, i) => `s${i}`))
    const bytes = serde.serialize(acc)
    assert.equal(bytes.length, 3 + 1024)
    const back = serde.deserialize(bytes)
    assert.deepEqual(back.registers, acc.registers)
    assert.equal(agg.getResult(back), agg.getResult(acc))
    assert.throws(() => serde.deserialize(bytes.subarray(0, 500)), isStateError)
    const badRegister = bytes.slice()
    badRegister[10] = 200
    assert.throws(() => serde.deserialize(badRegister), isStateError)
    const badMagic = bytes.slice()
    badMagic[0] = 0
    assert.throws(() => serde.deserialize(badMagic), isStateError)
  })

  it('validates the precision and refuses to merge different precisions', () => {
    for (const p of [3, 19, 14.5, NaN]) {
      assert.throws(() => approxCountDistinct((s: string) => s, { precision: p }), isInvalidArgument)
    }
    assert.throws(() => new HyperLogLog(10).mergeFrom(new HyperLogLog(11)), isInvalidArgument)
  })
})
