/**
 * @module Evictors, as Flink's: with one, a window keeps its elements (with timestamps) and drops
 * some before each firing; the window function then runs over what remains. Sliding count
 * windows are GlobalWindows + CountEvictor(size) + CountTrigger(slide).
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Window } from './window.ts'

export interface TimestampedValue<T> {
  v: T
  t: number
}

export interface EvictorContext {
  currentWatermark(): number
}

export interface Evictor<T, W extends Window> {
  /** The elements to keep (in arrival order); called before the window function runs. */
  evictBefore(elements: TimestampedValue<T>[], window: W, ctx: EvictorContext): TimestampedValue<T>[]
}

/** Keeps the last `max` elements. */
export class CountEvictor<T = unknown, W extends Window = Window> implements Evictor<T, W> {
  readonly #max: number

  static of<T = unknown, W extends Window = Window>(max: number): CountEvictor<T, W> {
    return new CountEvictor<T, W>(max)
  }

  constructor(max: number) {
    if (!(Number.isInteger(max) && max > 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `max must be a positive integer, got ${max}`)
    this.#max = max
  }

  evictBefore(elements: TimestampedValue<T>[]): TimestampedValue<T>[] {
    return elements.length <= this.#max ? elements : elements.slice(elements.length - this.#max)
  }
}

/** Keeps elements less than `keepMs` older than the newest element of the window. */
export class TimeEvictor<T = unknown, W extends Window = Window> implements Evictor<T, W> {
  readonly #keep: number

  static of<T = unknown, W extends Window = Window>(keepMs: number): TimeEvictor<T, W> {
    return new TimeEvictor<T, W>(keepMs)
  }

  constructor(keepMs: number) {
    if (!(keepMs > 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `keepMs must be > 0, got ${keepMs}`)
    this.#keep = keepMs
  }

  evictBefore(elements: TimestampedValue<T>[]): TimestampedValue<T>[] {
    let newest = Number.NEGATIVE_INFINITY
    for (const e of elements) if (e.t > newest) newest = e.t
    const cutoff = newest - this.#keep
    return elements.filter((e) => e.t > cutoff)
  }
}
