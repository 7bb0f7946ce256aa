/**
 * @module count, sum, min, max, avg. Accumulators are plain numbers or small mutable objects (JSON
 * state, no serde), and `add` allocates nothing.
 *
 * NaN from an extractor is skipped, like a SQL NULL: a missing measurement must not turn the whole
 * window's sum or average into NaN. Aggregates with nothing to report (min of an empty window)
 * return null.
 */

import { type AggregateFunction } from '../aggregate-function.ts'

export type NumberExtractor<IN> = (value: IN) => number

/** Number of elements. */
export function count<IN = unknown>(): AggregateFunction<IN, number, number> {
  return {
    createAccumulator: () => 0,
    add: (acc) => acc + 1,
    getResult: (acc) => acc,
    merge: (a, b) => a + b,
  }
}

/**
 * Running sum with Neumaier compensation: `comp` holds the low-order bits plain addition drops,
 * so a long window of small amounts next to a large one still sums correctly.
 */
export interface SumAccumulator {
  sum: number
  comp: number
}

function addCompensated(acc: SumAccumulator, x: number): void {
  const s = acc.sum
  const t = s + x
  // Past overflow the compensation would become NaN (inf - inf); the infinite sum is the answer.
  if (!Number.isFinite(t)) {
    acc.sum = t
    return
  }
  if (Math.abs(s) >= Math.abs(x)) acc.comp += s - t + x
  else acc.comp += x - t + s
  acc.sum = t
}

export function sum<IN>(fn: NumberExtractor<IN>): AggregateFunction<IN, SumAccumulator, number> {
  return {
    createAccumulator: () => ({ sum: 0, comp: 0 }),
    add(acc, value) {
      const x = fn(value)
      if (x === x) addCompensated(acc, x)
      return acc
    },
    getResult: (acc) => acc.sum + acc.comp,
    merge(a, b) {
      addCompensated(a, b.sum)
      addCompensated(a, b.comp)
      return a
    },
  }
}

export function min<IN>(fn: NumberExtractor<IN>): AggregateFunction<IN, number | null, number | null> {
  return {
    createAccumulator: () => null,
    add(acc, value) {
      const x = fn(value)
      if (x !== x) return acc
      return acc === null || x < acc ? x : acc
    },
    getResult: (acc) => acc,
    merge: (a, b) => (a === null ? b : b === null ? a : Math.min(a, b)),
  }
}

export function max<IN>(fn: NumberExtractor<IN>): AggregateFunction<IN, number | null, number | null> {
  return {
    createAccumulator: () => null,
    add(acc, value) {
      const x = fn(value)
      if (x !== x) return acc
      return acc === null || x > acc ? x : acc
    },
    getResult: (acc) => acc,
    merge: (a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
  }
}

export interface AvgAccumulator extends SumAccumulator {
  count: number
}

/** Arithmetic mean of the non-NaN values; null when there were none. */
export function avg<IN>(fn: NumberExtractor<IN>): AggregateFunction<IN, AvgAccumulator, number | null> {
  return {
    createAccumulator: () => ({ sum: 0, comp: 0, count: 0 }),
    add(acc, value) {
      const x = fn(value)
      if (x === x) {
        addCompensated(acc, x)
        acc.count++
      }
      return acc
    },
    getResult: (acc) => (acc.count === 0 ? null : (acc.sum + acc.comp) / acc.count),
    merge(a, b) {
      addCompensated(a, b.sum)
      addCompensated(a, b.comp)
      a.count += b.count
      return a
    },
  }
}
