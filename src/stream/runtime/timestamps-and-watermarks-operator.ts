/**
 * @module Applies a WatermarkStrategy: assigns event timestamps and runs the watermark generator,
 * asking it for a watermark every `intervalMs` of processing time. One instance per task, and a
 * task reads one partition of each source, so generators run per input partition; downstream
 * valves combine partitions by minimum. With an idle timeout, a partition that saw no events for
 * that long is marked idle and stops holding the combined watermark back until data returns.
 *
 * Watermarks arriving from upstream are dropped (this operator is the new authority), except the
 * end-of-input watermark, as in Flink.
 */
import { type WatermarkGenerator, type WatermarkOutput, type WatermarkStrategy } from '../api/watermark-strategy.ts'
import { AbstractStreamOperator, MAX_WATERMARK, type OperatorContext } from './stream-operator.ts'

export class TimestampsAndWatermarksOperator<T> extends AbstractStreamOperator implements WatermarkOutput {
  readonly #strategy: WatermarkStrategy<T>
  readonly #intervalMs: number
  #generator!: WatermarkGenerator<T>
  #lastEmitted = Number.NEGATIVE_INFINITY
  #idle = false
  #nextEmit = Number.POSITIVE_INFINITY
  #lastActivity = 0

  constructor(strategy: WatermarkStrategy<T>, intervalMs: number) {
    super()
    this.#strategy = strategy
    this.#intervalMs = intervalMs
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx)
    this.#generator = this.#strategy.createGenerator()
    const now = ctx.clock.now()
    this.#lastActivity = now
    if (this.#intervalMs > 0) this.#nextEmit = now + this.#intervalMs
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    if (this.#idle) this.markActive()
    this.#lastActivity = this.ctx.clock.now()
    const assign = this.#strategy.timestampAssigner
    const gen = this.#generator
    const out = this.output
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as T
      const ts = assign === undefined ? (timestamps[i] as number) : assign(v, timestamps[i] as number)
      out.collect(v, ts)
      gen.onEvent(v, ts, this)
    }
  }

  override processWatermark(watermark: number): void {
    if (watermark === MAX_WATERMARK) this.emitWatermark(watermark)
  }

  override processIdle(): void {}

  override nextProcessingTime(): number {
    return this.#nextEmit
  }

  override onProcessingTime(now: number): void {
    if (now < this.#nextEmit) return
    // Skip missed ticks rather than emitting once per missed interval.
    this.#nextEmit = now + this.#intervalMs - ((now - this.#nextEmit) % this.#intervalMs)
    const idleTimeout = this.#strategy.idleTimeoutMs
    if (idleTimeout !== undefined && now - this.#lastActivity >= idleTimeout) {
      this.markIdle()
      return
    }
    this.#generator.onPeriodicEmit(this)
  }

  override endInput(): void {
    this.#nextEmit = Number.POSITIVE_INFINITY
  }

  emitWatermark(watermark: number): void {
    if (watermark <= this.#lastEmitted) return
    if (this.#idle) this.markActive()
    this.#lastEmitted = watermark
    this.currentWatermark = watermark
    this.output.emitWatermark(watermark)
  }

  markIdle(): void {
    if (this.#idle) return
    this.#idle = true
    this.output.emitIdle(true)
  }

  markActive(): void {
    if (!this.#idle) return
    this.#idle = false
    this.output.emitIdle(false)
  }
}
