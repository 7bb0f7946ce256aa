/**
 * @module Drives a Sink: buffers the task's records and writes them when the batch is full or the
 * oldest buffered record waited maxDelayMs (processing time), whichever first, and at end of
 * input, and before input offsets are committed. At most one write is in flight; the task awaits
 * `pending()` before taking more input.
 */
import { type Sink, type SinkBatching, type SinkWriter, DEFAULT_SINK_BATCHING } from '../api/sink.ts'
import { Metric } from './metrics.ts'
import { AbstractStreamOperator, type OperatorContext } from './stream-operator.ts'

export class SinkOperator extends AbstractStreamOperator {
  readonly #sink: Sink<unknown>
  readonly #batching: SinkBatching
  #writer!: SinkWriter<unknown>
  #values: unknown[] = []
  #timestamps: number[] = []
  #firstBufferedAt = Number.POSITIVE_INFINITY
  #inflight: Promise<void> | undefined

  constructor(sink: Sink<unknown>) {
    super()
    this.#sink = sink
    this.#batching = { ...DEFAULT_SINK_BATCHING, ...sink.batching }
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx)
    this.#writer = this.#sink.createWriter({
      jobName: ctx.jobName,
      operatorName: ctx.operatorName,
      taskIndex: ctx.taskIndex,
      taskCount: ctx.taskCount,
      clock: ctx.clock,
    })
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    if (this.#values.length === 0) this.#firstBufferedAt = this.ctx.clock.now()
    for (let i = 0; i < values.length; i++) {
      this.#values.push(values[i])
      this.#timestamps.push(timestamps[i] as number)
    }
    if (this.#values.length >= this.#batching.maxRecords) this.#flush()
  }

  override processWatermark(watermark: number): void {
    this.currentWatermark = watermark
  }

  override processIdle(): void {}

  override nextProcessingTime(): number {
    return this.#values.length === 0 ? Number.POSITIVE_INFINITY : this.#firstBufferedAt + this.#batching.maxDelayMs
  }

  override onProcessingTime(now: number): void {
    if (this.#values.length > 0 && now >= this.#firstBufferedAt + this.#batching.maxDelayMs) this.#flush()
  }

  override endInput(): void {
    this.#flush()
  }

  override pending(): Promise<void> | undefined {
    return this.#inflight
  }

  /** Offsets are committed only for input whose output was written, so the buffer goes out first. */
  override prepareCommit(): void {
    this.#flush()
  }

  #flush(): void {
    if (this.#values.length === 0) return
    const values = this.#values
    const timestamps = this.#timestamps
    this.#values = []
    this.#timestamps = []
    this.#firstBufferedAt = Number.POSITIVE_INFINITY
    this.ctx.metrics.inc(Metric.RECORDS_WRITTEN, values.length)
    this.ctx.metrics.inc(Metric.SINK_FLUSHES)
    const previous = this.#inflight
    if (previous === undefined) {
      const r = this.#writer.write(values, timestamps)
      if (r !== undefined) this.#track(r)
      return
    }
    this.#track(previous.then(() => this.#writer.write(values, timestamps)))
  }

  #track(p: Promise<void>): void {
    const tracked: Promise<void> = p.then(() => {
      if (this.#inflight === tracked) this.#inflight = undefined
    })
    this.#inflight = tracked
  }

  override async close(): Promise<void> {
    this.#flush()
    if (this.#inflight !== undefined) await this.#inflight
    await this.#writer?.close?.()
  }
}
