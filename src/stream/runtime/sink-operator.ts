/**
 * @module Drives a Sink: buffers the task's records and writes them when the batch is full or the
 * oldest buffered record waited maxDelayMs (processing time), whichever first, and at end of
 * input, and before input offsets are committed. Up to `maxInFlight` writes are under way, issued
 * in order; `pending()` (awaited by the task before more input) resolves once fewer are, and
 * `flushed()` (before commits and at the end) once all are done. A failed write fails the task at
 * its next pending(), flushed() or close().
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
  /** Writes under way, oldest first; each settles (never rejects) once its write is done. */
  readonly #inflight: Promise<void>[] = []
  #failure: { error: unknown } | undefined

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
    if (this.#failure !== undefined) return Promise.reject(this.#failure.error)
    if (this.#inflight.length < this.#batching.maxInFlight) return undefined
    return this.#settled(this.#inflight[0] as Promise<void>)
  }

  override flushed(): Promise<void> | undefined {
    if (this.#failure !== undefined) return Promise.reject(this.#failure.error)
    const n = this.#inflight.length
    if (n === 0) return undefined
    return this.#settled(n === 1 ? (this.#inflight[0] as Promise<void>) : Promise.all(this.#inflight).then(() => undefined))
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
    const inflight = this.#inflight
    if (inflight.length < this.#batching.maxInFlight) {
      let r: Promise<void> | void
      try {
        r = this.#writer.write(values, timestamps)
      } catch (err) {
        this.#failure ??= { error: err }
        return
      }
      if (r !== undefined) this.#track(r)
      return
    }
    // Full: this write starts after the newest one, so writes stay in order.
    this.#track((inflight[inflight.length - 1] as Promise<void>).then(() => this.#writer.write(values, timestamps)))
  }

  #track(p: Promise<void>): void {
    const tracked: Promise<void> = p.then(
      () => this.#done(tracked),
      (err: unknown) => {
        this.#failure ??= { error: err }
        this.#done(tracked)
      },
    )
    this.#inflight.push(tracked)
  }

  #done(p: Promise<void>): void {
    const i = this.#inflight.indexOf(p)
    if (i >= 0) this.#inflight.splice(i, 1)
  }

  /** Resolves when `p` did, rejecting if a write failed meanwhile. */
  #settled(p: Promise<void>): Promise<void> {
    return p.then(() => {
      if (this.#failure !== undefined) throw this.#failure.error
    })
  }

  override async close(): Promise<void> {
    this.#flush()
    const all = this.flushed()
    if (all !== undefined) await all
    if (this.#failure !== undefined) throw this.#failure.error
    await this.#writer?.close?.()
  }
}
