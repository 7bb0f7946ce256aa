/**
 * @module Ready-made aggregate functions for windows and keyed aggregations: "requests per minute"
 * is `count()`, "95th percentile latency per hour" `percentile(r => r.ms, 0.95)`, "unique users per
 * day" `approxCountDistinct(r => r.user)`; `multi` computes several in one window.
 */

export { type NumberExtractor, type SumAccumulator, type AvgAccumulator, count, sum, min, max, avg } from './basic.ts'
export { type SelectOptions, type SelectAccumulator, type CollectOptions, first, last, collect } from './selection.ts'
export { type KeyExtractor, type ApproxCountDistinctOptions, countDistinct, approxCountDistinct } from './distinct.ts'
export { type PercentileOptions, type PercentileResult, percentiles, percentile, percentileLabel } from './percentiles.ts'
export { type TopNOptions, topN } from './top-n.ts'
export {
  type AnyAggregateFunction,
  type InputOf,
  type ResultOf,
  type MultiInput,
  type MultiResult,
  multi,
  filtered,
} from './multi.ts'
export { type TopNEntry, type WeightedCounter, ExactCounter, SpaceSaving } from './counters.ts'
export { type DistinctKey } from './bytes.ts'
export {
  HyperLogLog,
  HLL_DEFAULT_PRECISION,
  HLL_MIN_PRECISION,
  HLL_MAX_PRECISION,
} from './hyperloglog.ts'
export { type DDSketchOptions, DDSketch, DDSKETCH_DEFAULT_ACCURACY, DDSKETCH_DEFAULT_MAX_BUCKETS } from './ddsketch.ts'
