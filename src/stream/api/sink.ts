/**
 * @module Sinks: a small interface the runtime drives in batches. The runtime buffers a task's
 * output and calls `write` when `maxRecords` are buffered or `maxDelayMs` of processing time passed
 * since the first buffered record, whichever comes first (and at end of input). Up to `maxInFlight`
 * writes may be under way (default 1); beyond that the task waits before taking more input, so a
 * slow sink slows the sources (backpressure). Offsets are committed, and a bounded job ends, only
 * once every write issued before finished.
 * Database sinks implement the same two methods.
 */
import { type Clock } from '../../util/clock.ts'

export interface SinkBatching {
  maxRecords: number
  maxDelayMs: number
  /**
   * Writes under way at once. Above 1 a write starts before the previous ones finished, so the
   * sink must keep their order itself: a topic sink over the embedded client or over the remote
   * client of a worker thread does (its host runs a producer's sends one after the other); keep 1
   * for a Kafka producer without idempotence. Hides the round trip of a remote producer.
   */
  maxInFlight: number
}

export const DEFAULT_SINK_BATCHING: SinkBatching = { maxRecords: 1000, maxDelayMs: 500, maxInFlight: 1 }

export interface SinkContext {
  readonly jobName: string
  readonly operatorName: string
  readonly taskIndex: number
  readonly taskCount: number
  readonly clock: Clock
}

export interface SinkWriter<T> {
  /** `timestamps[i]` is the event time of `values[i]` (-Infinity when none). */
  write(values: readonly T[], timestamps: readonly number[]): Promise<void> | void
  close?(): Promise<void> | void
}

export interface Sink<T> {
  readonly name: string
  readonly batching?: Partial<SinkBatching>
  /** Called once per task that writes to the sink. */
  createWriter(ctx: SinkContext): SinkWriter<T>
}

/** Keeps everything written, across tasks, in arrival order: for tests and examples. */
export class CollectingSink<T> implements Sink<T> {
  readonly name: string
  /** Writes as soon as a batch arrives, so results are visible right after processing. */
  readonly batching: SinkBatching = { maxRecords: 1, maxDelayMs: 0, maxInFlight: 1 }
  readonly values: T[] = []
  readonly timestamps: number[] = []

  constructor(name = 'collect') {
    this.name = name
  }

  createWriter(): SinkWriter<T> {
    return {
      write: (values, timestamps) => {
        for (let i = 0; i < values.length; i++) {
          this.values.push(values[i] as T)
          this.timestamps.push(timestamps[i] as number)
        }
      },
    }
  }

  /** Returns and forgets what was collected so far. */
  drain(): T[] {
    const out = this.values.splice(0)
    this.timestamps.splice(0)
    return out
  }
}

export interface ConsoleSinkOptions<T> {
  prefix?: string
  /** How a value is printed (default JSON). */
  format?: (value: T) => string
  /** Where lines go (default process.stdout). */
  write?: (text: string) => void
}

export class ConsoleSink<T> implements Sink<T> {
  readonly name = 'console'
  readonly batching: SinkBatching = { maxRecords: 1, maxDelayMs: 0, maxInFlight: 1 }
  readonly #options: ConsoleSinkOptions<T>

  constructor(options: ConsoleSinkOptions<T> = {}) {
    this.#options = options
  }

  createWriter(ctx: SinkContext): SinkWriter<T> {
    const { prefix, format = (v: T) => JSON.stringify(v), write = (s: string) => void process.stdout.write(s) } = this.#options
    const head = `${prefix === undefined ? '' : prefix + ' '}${ctx.taskCount > 1 ? `${ctx.taskIndex}> ` : ''}`
    return {
      write: (values) => {
        let text = ''
        for (const v of values) text += head + format(v) + '\n'
        write(text)
      },
    }
  }
}
