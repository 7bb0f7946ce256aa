/**
 * @module Watermark strategies, as Flink's: a timestamp assigner plus a watermark generator that
 * sees every event and is asked periodically (every `autoWatermarkIntervalMs` of processing time,
 * default 200) for the current watermark. A watermark W promises no more events with timestamp
 * <= W. The runtime runs one generator per input partition and combines them by minimum,
 * skipping partitions idle for longer than `withIdleness`.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'

export interface WatermarkOutput {
  emitWatermark(watermark: number): void
  /** No data is flowing: downstream stops waiting for this input's watermark. */
  markIdle(): void
  markActive(): void
}

export interface WatermarkGenerator<T> {
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void
  onPeriodicEmit(output: WatermarkOutput): void
}

/** Event time of an element; `recordTimestamp` is the source's (a topic record's timestamp). */
export type TimestampAssigner<T> = (element: T, recordTimestamp: number) => number

/** Watermark = highest timestamp seen - maxOutOfOrderness - 1 (events that late still count). */
export class BoundedOutOfOrdernessWatermarks<T> implements WatermarkGenerator<T> {
  readonly #delay: number
  #maxTimestamp = Number.NEGATIVE_INFINITY

  constructor(maxOutOfOrdernessMs: number) {
    if (!(maxOutOfOrdernessMs >= 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `max out-of-orderness must be >= 0, got ${maxOutOfOrdernessMs}`)
    this.#delay = maxOutOfOrdernessMs
  }

  onEvent(_e: T, timestamp: number): void {
    if (timestamp > this.#maxTimestamp) this.#maxTimestamp = timestamp
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    output.emitWatermark(this.#maxTimestamp - this.#delay - 1)
  }
}

/** Emits a watermark per event (punctuated), for tests and sources with explicit markers. */
export class PunctuatedWatermarks<T> implements WatermarkGenerator<T> {
  readonly #extract: (event: T, timestamp: number) => number | undefined

  constructor(extract: (event: T, timestamp: number) => number | undefined) {
    this.#extract = extract
  }

  onEvent(event: T, timestamp: number, output: WatermarkOutput): void {
    const wm = this.#extract(event, timestamp)
    if (wm !== undefined) output.emitWatermark(wm)
  }

  onPeriodicEmit(): void {}
}

class NoWatermarks<T> implements WatermarkGenerator<T> {
  onEvent(): void {}
  onPeriodicEmit(): void {}
}

export class WatermarkStrategy<T> {
  readonly createGenerator: () => WatermarkGenerator<T>
  readonly timestampAssigner: TimestampAssigner<T> | undefined
  readonly idleTimeoutMs: number | undefined

  private constructor(
    createGenerator: () => WatermarkGenerator<T>,
    timestampAssigner: TimestampAssigner<T> | undefined,
    idleTimeoutMs: number | undefined,
  ) {
    this.createGenerator = createGenerator
    this.timestampAssigner = timestampAssigner
    this.idleTimeoutMs = idleTimeoutMs
  }

  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(maxOutOfOrdernessMs >= 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `max out-of-orderness must be >= 0, got ${maxOutOfOrdernessMs}`)
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks<T>(maxOutOfOrdernessMs), undefined, undefined)
  }

  /** Timestamps never go backwards within a partition. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return WatermarkStrategy.forBoundedOutOfOrderness<T>(0)
  }

  /** A custom generator, created once per input partition. */
  static forGenerator<T>(create: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(create, undefined, undefined)
  }

  /** Timestamps only; event-time windows then fire at end of input. */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new NoWatermarks<T>(), undefined, undefined)
  }

  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.createGenerator, assigner, this.idleTimeoutMs)
  }

  /** A partition without events for `idleTimeoutMs` of processing time stops holding watermarks back. */
  withIdleness(idleTimeoutMs: number): WatermarkStrategy<T> {
    if (!(idleTimeoutMs > 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `idle timeout must be > 0, got ${idleTimeoutMs}`)
    return new WatermarkStrategy<T>(this.createGenerator, this.timestampAssigner, idleTimeoutMs)
  }
}
