/**
 * @module Distinct counts: exact (a Set of the keys: memory grows with the number of distinct keys
 * in the window) and approximate (HyperLogLog: fixed 2^p bytes, ~1.04/sqrt(2^p) relative error).
 *
 * Keys are strings or numbers and compare as JavaScript `Set` does: the number 1 and the string "1"
 * are different keys, -0 equals 0, NaN equals NaN. Derive a string key for composite identities.
 */

import { type AggregateFunction, type AccumulatorSerde } from '../aggregate-function.ts'
import { ByteReader, ByteWriter, type DistinctKey, readKey, writeKey } from './bytes.ts'
import { HLL_DEFAULT_PRECISION, HyperLogLog, checkPrecision } from './hyperloglog.ts'

export type KeyExtractor<IN, K extends DistinctKey = DistinctKey> = (value: IN) => K

const SET_MAGIC = 0x53 // 'S'
const SET_VERSION = 1

const distinctSetSerde: AccumulatorSerde<Set<DistinctKey>> = {
  serialize(acc) {
    const w = new ByteWriter(16 + acc.size * 12)
    w.u8(SET_MAGIC)
    w.u8(SET_VERSION)
    w.u32(acc.size)
    for (const key of acc) writeKey(w, key)
    return w.finish()
  },
  deserialize(bytes) {
    const r = new ByteReader(bytes, 'countDistinct')
    r.header(SET_MAGIC, SET_VERSION)
    const n = r.u32()
    // Every key takes at least 5 bytes (tag + string length), so a bogus count fails here.
    r.checkCount(n, 5)
    const set = new Set<DistinctKey>()
    for (let i = 0; i < n; i++) set.add(readKey(r))
    r.end()
    return set
  },
}

/** Exact number of distinct keys. */
export function countDistinct<IN>(fn: KeyExtractor<IN>): AggregateFunction<IN, Set<DistinctKey>, number> {
  return {
    createAccumulator: () => new Set(),
    add(acc, value) {
      acc.add(fn(value))
      return acc
    },
    getResult: (acc) => acc.size,
    merge(a, b) {
      if (a.size < b.size) {
        for (const key of a) b.add(key)
        return b
      }
      for (const key of b) a.add(key)
      return a
    },
    accumulatorSerde: distinctSetSerde,
  }
}

export interface ApproxCountDistinctOptions {
  /** log2 of the register count, 4..18 (default 14: 16 KiB, ~0.81 % standard error). */
  precision?: number
}

const hllSerde: AccumulatorSerde<HyperLogLog> = {
  serialize: (acc) => acc.serialize(),
  deserialize: (bytes) => HyperLogLog.deserialize(bytes),
}

/** Estimated number of distinct keys (HyperLogLog); the result is rounded to an integer. */
export function approxCountDistinct<IN>(
  fn: KeyExtractor<IN>,
  options: ApproxCountDistinctOptions = {},
): AggregateFunction<IN, HyperLogLog, number> {
  const precision = options.precision ?? HLL_DEFAULT_PRECISION
  checkPrecision(precision)
  return {
    createAccumulator: () => new HyperLogLog(precision),
    add(acc, value) {
      acc.add(fn(value))
      return acc
    },
    getResult: (acc) => Math.round(acc.estimate()),
    merge: (a, b) => a.mergeFrom(b),
    accumulatorSerde: hllSerde,
  }
}
