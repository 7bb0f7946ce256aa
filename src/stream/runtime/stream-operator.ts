/**
 * @module The operator contract of the runtime. Operators are fed whole batches (parallel arrays of
 * values and event timestamps) and emit into an Output that the operator chain flushes downstream
 * once the batch is done, so the per-record path allocates neither promises nor closures.
 * Input arrays are shared with sibling consumers: operators never mutate them.
 */
import { type Clock } from '../../util/clock.ts'
import { type KeyedStateBackend } from './keyed-state-backend.ts'
import { type Counters } from './metrics.ts'

/** Timestamp of an element that has none (no assigner, no record time). */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY
/** The watermark that ends an input: every event-time timer and window fires. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY

export interface Output {
  collect(value: unknown, timestamp: number): void
  collectSide(tagId: string, value: unknown, timestamp: number): void
  /** Sends the records emitted so far, then the watermark. */
  emitWatermark(watermark: number): void
  emitIdle(idle: boolean): void
}

export interface OperatorContext {
  readonly output: Output
  readonly clock: Clock
  readonly jobName: string
  readonly operatorName: string
  readonly taskIndex: number
  readonly taskCount: number
  readonly metrics: Counters
  /** A fresh keyed state backend for this operator instance. */
  createKeyedStateBackend(): KeyedStateBackend
}

export interface StreamOperator {
  open(ctx: OperatorContext): void
  processBatch(input: number, values: readonly unknown[], timestamps: readonly number[]): void
  /** The combined watermark of all inputs; strictly increasing. */
  processWatermark(watermark: number): void
  processIdle(idle: boolean): void
  /** Earliest processing time at which onProcessingTime must run; Infinity for never. */
  nextProcessingTime(): number
  onProcessingTime(now: number): void
  /** Every input ended (after the MAX_WATERMARK). */
  endInput(): void
  /** Asynchronous work (sink writes, exchange sends) the task awaits before taking more input. */
  pending(): Promise<void> | undefined
  /** All asynchronous work issued so far (a sink may have several writes under way): before commits and at the end. */
  flushed(): Promise<void> | undefined
  /** Starts writing output held across batches (sink buffers): input offsets are about to be committed. */
  prepareCommit(): void
  close(): Promise<void> | void
}

export abstract class AbstractStreamOperator implements StreamOperator {
  protected ctx!: OperatorContext
  protected output!: Output
  protected currentWatermark = Number.NEGATIVE_INFINITY

  open(ctx: OperatorContext): void {
    this.ctx = ctx
    this.output = ctx.output
  }

  abstract processBatch(input: number, values: readonly unknown[], timestamps: readonly number[]): void

  processWatermark(watermark: number): void {
    this.currentWatermark = watermark
    this.output.emitWatermark(watermark)
  }

  processIdle(idle: boolean): void {
    this.output.emitIdle(idle)
  }

  nextProcessingTime(): number {
    return Number.POSITIVE_INFINITY
  }

  onProcessingTime(_now: number): void {}

  endInput(): void {}

  pending(): Promise<void> | undefined {
    return undefined
  }

  flushed(): Promise<void> | undefined {
    return this.pending()
  }

  prepareCommit(): void {}

  close(): Promise<void> | void {}
}
