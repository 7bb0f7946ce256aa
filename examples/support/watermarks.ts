/**
 * @module Bounded out-of-orderness watermarks for the examples, emitted in one of two ways:
 *
 * - 'periodic' (Flink's default): every `autoWatermarkIntervalMs` of processing time. Right for a
 *   live stream; which events end up late then depends on how fast the job reads.
 * - 'per-event': after every event, the same max - bound - 1. Replaying a topic then gives the
 *   same watermarks, so the same late events, on every run (the examples' main and tests use it).
 */
import { PunctuatedWatermarks, WatermarkStrategy } from '../../src/stream/index.ts'

export type WatermarkMode = 'periodic' | 'per-event'

export function boundedOutOfOrderness<T>(boundMs: number, timestamp: (event: T) => number, mode: WatermarkMode = 'periodic'): WatermarkStrategy<T> {
  const strategy =
    mode === 'periodic'
      ? WatermarkStrategy.forBoundedOutOfOrderness<T>(boundMs)
      : // The operator ignores watermarks that do not advance, so this is max - bound - 1 as well.
        WatermarkStrategy.forGenerator<T>(() => new PunctuatedWatermarks<T>((_e, ts) => ts - boundMs - 1))
  return strategy.withTimestampAssigner((e) => timestamp(e))
}
