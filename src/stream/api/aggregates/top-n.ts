/**
 * @module topN: the keys with the largest counts (or summed weights) in a window.
 *
 * By default counting is exact: a Map entry per distinct key in the window, so memory grows with
 * the distinct keys (~100 bytes each). With `capacity`, a Space-Saving summary of that many
 * counters is used instead: memory is fixed, each reported value is an upper bound with its
 * `maxError`, and for one stream of total weight N the error is at most N / capacity. Choose
 * capacity well above n (10x or more) so the top n are reported in the right order.
 */

import { type AccumulatorSerde, type AggregateFunction } from '../aggregate-function.ts'
import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { type DistinctKey } from './bytes.ts'
import {
  ExactCounter,
  MAX_CAPACITY,
  SpaceSaving,
  type TopNEntry,
  type WeightedCounter,
  deserializeCounter,
} from './counters.ts'

export interface TopNOptions<IN> {
  /**
   * 'count' (default) ranks keys by their number of elements; a function ranks them by the sum of
   * its value over their elements (e.g. total fare per zone). NaN values are skipped.
   */
  by?: 'count' | ((value: IN) => number)
  /** Use a Space-Saving summary of this many counters instead of exact counts. */
  capacity?: number
}

export function topN<IN, K extends DistinctKey>(
  keyFn: (value: IN) => K,
  n: number,
  options: TopNOptions<IN> = {},
): AggregateFunction<IN, WeightedCounter<K>, TopNEntry<K>[]> {
  if (!Number.isInteger(n) || n < 1) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `topN n must be a positive integer, got ${n}`)
  const capacity = options.capacity
  if (capacity !== undefined && (!Number.isInteger(capacity) || capacity < n || capacity > MAX_CAPACITY)) {
    throw new TributaryError(
      ErrorCode.INVALID_ARGUMENT,
      `topN capacity must be an integer from n (${n}) to ${MAX_CAPACITY}, got ${capacity}`,
    )
  }
  const by = options.by ?? 'count'
  const weightFn = by === 'count' ? undefined : by
  const serde: AccumulatorSerde<WeightedCounter<K>> = {
    serialize: (acc) => acc.serialize(),
    deserialize: (bytes) => deserializeCounter<K>(bytes),
  }
  return {
    createAccumulator: () => (capacity === undefined ? new ExactCounter<K>() : new SpaceSaving<K>(capacity)),
    add(acc, value) {
      if (weightFn === undefined) {
        acc.add(keyFn(value), 1)
      } else {
        const w = weightFn(value)
        if (w === w) acc.add(keyFn(value), w)
      }
      return acc
    },
    getResult: (acc) => acc.top(n),
    merge: (a, b) => a.mergeFrom(b),
    accumulatorSerde: serde,
  }
}
