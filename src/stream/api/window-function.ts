/**
 * @module Window functions: what a firing window emits. Incremental aggregation (AggregateFunction
 * or reduce) keeps one accumulator per key and window; a ProcessWindowFunction sees all elements
 * (or the pre-aggregated result) together with the window and the firing's changelog kind.
 */
import { type ChangeKind } from './changelog.ts'
import { type OutputTag } from './output-tag.ts'
import { type Collector, type KeyedRuntimeContext } from './process-function.ts'
import { type Window } from './window.ts'

export interface WindowFiring {
  /** 'insert' for the first result of this key and window, 'update' for later ones. */
  readonly kind: Exclude<ChangeKind, 'delete'>
  /** Fired before the watermark reached the window end (early firing). */
  readonly early: boolean
  /** Fired for an element that arrived after the watermark passed the window end. */
  readonly late: boolean
}

export interface WindowContext<W extends Window> {
  readonly window: W
  readonly firing: WindowFiring
  currentWatermark(): number
  currentProcessingTime(): number
  output<X>(tag: OutputTag<X>, value: X): void
}

export interface ProcessWindowFunction<IN, OUT, K, W extends Window> {
  open?(ctx: KeyedRuntimeContext): void
  process(key: K, ctx: WindowContext<W>, elements: readonly IN[], out: Collector<OUT>): void
  /**
   * A window that already fired was merged into a larger session window: emit a retraction of
   * what was emitted for it if downstream needs one. `ctx.firing` describes its last firing.
   */
  retract?(key: K, ctx: WindowContext<W>, out: Collector<OUT>): void
  close?(): void
}
