/**
 * @module Percentiles over a DDSketch (see ddsketch.ts for the guarantee and why not t-digest):
 * each reported value v for quantile q satisfies |v - x| <= a |x|, where x is the element at rank
 * floor(q (n-1)) of the sorted input and a the relative accuracy (default 1 %).
 */

import { type AccumulatorSerde, type AggregateFunction } from '../aggregate-function.ts'
import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { DDSketch, type DDSketchOptions, checkSketchOptions } from './ddsketch.ts'
import { type NumberExtractor } from './basic.ts'

export type PercentileOptions = DDSketchOptions

/** Results keyed `p50`, `p95`, `p99`, `p99.9`...; null values for an empty window. */
export type PercentileResult = Record<string, number | null>

const sketchSerde: AccumulatorSerde<DDSketch> = {
  serialize: (acc) => acc.serialize(),
  deserialize: (bytes) => DDSketch.deserialize(bytes),
}

function checkQuantile(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `quantile must be in [0, 1], got ${q}`)
}

/** `p` + the percentage without float noise: 0.95 -> p95, 0.999 -> p99.9. */
export function percentileLabel(q: number): string {
  return `p${Number((q * 100).toPrecision(10))}`
}

function sketchAggregate<IN, OUT>(
  fn: NumberExtractor<IN>,
  options: PercentileOptions,
  result: (sketch: DDSketch) => OUT,
): AggregateFunction<IN, DDSketch, OUT> {
  const sketchOptions = checkSketchOptions(options)
  const ctorOptions = { relativeAccuracy: sketchOptions.accuracy, maxBuckets: sketchOptions.maxBuckets }
  return {
    createAccumulator: () => new DDSketch(ctorOptions),
    add(acc, value) {
      acc.add(fn(value))
      return acc
    },
    getResult: result,
    merge: (a, b) => a.mergeFrom(b),
    accumulatorSerde: sketchSerde,
  }
}

/** Several quantiles from one sketch, e.g. `percentiles(r => r.latencyMs, [0.5, 0.95, 0.99])`. */
export function percentiles<IN>(
  fn: NumberExtractor<IN>,
  quantiles: readonly number[],
  options: PercentileOptions = {},
): AggregateFunction<IN, DDSketch, PercentileResult> {
  if (quantiles.length === 0) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'percentiles needs at least one quantile')
  for (const q of quantiles) checkQuantile(q)
  const qs = quantiles.slice()
  const labels = qs.map(percentileLabel)
  return sketchAggregate(fn, options, (sketch) => {
    const out: PercentileResult = {}
    for (let i = 0; i < qs.length; i++) out[labels[i] as string] = sketch.quantile(qs[i] as number)
    return out
  })
}

/** One quantile, e.g. `percentile(r => r.latencyMs, 0.95)`; null for an empty window. */
export function percentile<IN>(
  fn: NumberExtractor<IN>,
  quantile: number,
  options: PercentileOptions = {},
): AggregateFunction<IN, DDSketch, number | null> {
  checkQuantile(quantile)
  return sketchAggregate(fn, options, (sketch) => sketch.quantile(quantile))
}
