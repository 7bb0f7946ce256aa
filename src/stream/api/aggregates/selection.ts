/**
 * @module first, last, collect: aggregates that keep elements rather than fold them into numbers.
 *
 * "First" and "last" mean arrival order at the operator, which after a shuffle or with out-of-order
 * sources is not event-time order. Pass `orderBy` (e.g. the event timestamp) to make them mean the
 * smallest / largest ordering key instead; ties keep the earlier arrival. That also makes `merge`
 * well defined: without `orderBy`, merge(a, b) treats `a` as the earlier part.
 */

import { type AggregateFunction } from '../aggregate-function.ts'
import { ErrorCode, TributaryError } from '../../../util/errors.ts'

export interface SelectOptions<IN> {
  /** Ordering key, typically the event timestamp. */
  orderBy?: (value: IN) => number
}

export interface SelectAccumulator<V> {
  has: boolean
  value: V | null
  /** Ordering key of `value` when `orderBy` is set; 0 otherwise. */
  order: number
}

function identity<IN, V>(v: IN): V {
  return v as unknown as V
}

export function first<IN, V = IN>(
  fn?: (value: IN) => V,
  options: SelectOptions<IN> = {},
): AggregateFunction<IN, SelectAccumulator<V>, V | null> {
  const extract: (value: IN) => V = fn ?? identity
  const orderBy = options.orderBy
  return {
    createAccumulator: () => ({ has: false, value: null, order: 0 }),
    add(acc, value) {
      if (orderBy === undefined) {
        if (!acc.has) {
          acc.has = true
          acc.value = extract(value)
        }
        return acc
      }
      const key = orderBy(value)
      if (!acc.has || key < acc.order) {
        acc.has = true
        acc.value = extract(value)
        acc.order = key
      }
      return acc
    },
    getResult: (acc) => (acc.has ? acc.value : null),
    merge(a, b) {
      if (!b.has) return a
      if (!a.has || (orderBy !== undefined && b.order < a.order)) return b
      return a
    },
  }
}

export function last<IN, V = IN>(
  fn?: (value: IN) => V,
  options: SelectOptions<IN> = {},
): AggregateFunction<IN, SelectAccumulator<V>, V | null> {
  const extract: (value: IN) => V = fn ?? identity
  const orderBy = options.orderBy
  return {
    createAccumulator: () => ({ has: false, value: null, order: 0 }),
    add(acc, value) {
      if (orderBy === undefined) {
        acc.has = true
        acc.value = extract(value)
        return acc
      }
      const key = orderBy(value)
      // `>=` so that among equal keys the later arrival wins, mirroring `first`.
      if (!acc.has || key >= acc.order) {
        acc.has = true
        acc.value = extract(value)
        acc.order = key
      }
      return acc
    },
    getResult: (acc) => (acc.has ? acc.value : null),
    merge(a, b) {
      if (!b.has) return a
      if (!a.has || orderBy === undefined || b.order >= a.order) return b
      return a
    },
  }
}

export interface CollectOptions {
  /**
   * Keep at most this many elements (the earliest arrivals); later ones are dropped. Without a
   * limit the accumulator holds every element of the window.
   */
  limit?: number
}

/** The elements (or extracted values) in arrival order; merge appends `b` after `a`. */
export function collect<IN, V = IN>(
  fn?: (value: IN) => V,
  options: CollectOptions = {},
): AggregateFunction<IN, V[], V[]> {
  const extract: (value: IN) => V = fn ?? identity
  const limit = options.limit ?? Infinity
  if (!(limit >= 0) || (limit !== Infinity && !Number.isInteger(limit))) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `collect limit must be a non-negative integer, got ${limit}`)
  }
  return {
    createAccumulator: () => [],
    add(acc, value) {
      if (acc.length < limit) acc.push(extract(value))
      return acc
    },
    getResult: (acc) => acc.slice(),
    merge(a, b) {
      const room = Math.min(b.length, limit - a.length)
      for (let i = 0; i < room; i++) a.push(b[i] as V)
      return a
    },
  }
}
