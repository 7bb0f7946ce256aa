/**
 * @module Triggers decide when a window emits, as Flink's: called per element and per timer, they
 * answer CONTINUE / FIRE / PURGE / FIRE_AND_PURGE. Their state goes through the context (scoped
 * to the key and window), never into fields, so it is kept by the state backend.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import {
  type ReducingState,
  ReducingStateDescriptor,
  type ValueState,
  ValueStateDescriptor,
} from './state.ts'
import { type Window } from './window.ts'

export const TriggerResult = {
  CONTINUE: 'CONTINUE',
  FIRE: 'FIRE',
  PURGE: 'PURGE',
  FIRE_AND_PURGE: 'FIRE_AND_PURGE',
} as const
export type TriggerResult = (typeof TriggerResult)[keyof typeof TriggerResult]

export function isFire(r: TriggerResult): boolean {
  return r === TriggerResult.FIRE || r === TriggerResult.FIRE_AND_PURGE
}

export function isPurge(r: TriggerResult): boolean {
  return r === TriggerResult.PURGE || r === TriggerResult.FIRE_AND_PURGE
}

export interface TriggerContext {
  currentWatermark(): number
  currentProcessingTime(): number
  registerEventTimeTimer(time: number): void
  deleteEventTimeTimer(time: number): void
  registerProcessingTimeTimer(time: number): void
  deleteProcessingTimeTimer(time: number): void
  /** State of the current key and window. */
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>
}

export interface OnMergeContext extends TriggerContext {
  /** Folds the merged windows' reducing state into the merge result's. */
  mergeReducingState<T>(descriptor: ReducingStateDescriptor<T>): void
}

export interface Trigger<T, W extends Window> {
  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult
  /** Whether the trigger supports merging (session) windows. */
  canMerge(): boolean
  onMerge(window: W, ctx: OnMergeContext): void
  /** Drops the trigger's timers and state of the window. */
  clear(window: W, ctx: TriggerContext): void
}

const sum = (a: number, b: number): number => a + b

/** Fires once the watermark passes the window end; late elements (within allowed lateness) fire at once. */
export class EventTimeTrigger<W extends Window = Window> implements Trigger<unknown, W> {
  static create<W extends Window = Window>(): EventTimeTrigger<W> {
    return new EventTimeTrigger<W>()
  }

  /** The event-time trigger plus early (speculative) firings before the window ends. */
  static withEarlyFirings<W extends Window = Window>(options: EarlyFiringOptions): EarlyFiringEventTimeTrigger<W> {
    return new EarlyFiringEventTimeTrigger<W>(options)
  }

  onElement(_e: unknown, _ts: number, window: W, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.currentWatermark()) return TriggerResult.FIRE
    ctx.registerEventTimeTimer(window.maxTimestamp())
    return TriggerResult.CONTINUE
  }

  onEventTime(time: number, window: W): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE
  }

  canMerge(): boolean {
    return true
  }

  onMerge(window: W, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp())
  }

  clear(window: W, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp())
  }
}

export interface EarlyFiringOptions {
  /** Fire after every this many elements since the last firing. */
  everyCount?: number
  /** Fire at most once per this many ms of processing time while elements keep arriving. */
  everyMs?: number
}

/**
 * Early results before the watermark closes the window: after every N elements and/or every
 * interval of processing time in which elements arrived (no timer runs for a window that got
 * nothing new, so idle windows do not re-emit). The final firing is the event-time one.
 */
export class EarlyFiringEventTimeTrigger<W extends Window = Window> implements Trigger<unknown, W> {
  readonly #everyCount: number | undefined
  readonly #everyMs: number | undefined
  readonly #count = new ReducingStateDescriptor<number>('early-firing-count', sum)
  readonly #timer = new ValueStateDescriptor<number>('early-firing-timer')

  constructor(options: EarlyFiringOptions) {
    const { everyCount, everyMs } = options
    if (everyCount === undefined && everyMs === undefined) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'early firings need everyCount or everyMs')
    }
    if (everyCount !== undefined && !(Number.isInteger(everyCount) && everyCount > 0)) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `everyCount must be a positive integer, got ${everyCount}`)
    }
    if (everyMs !== undefined && !(everyMs > 0)) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `everyMs must be > 0, got ${everyMs}`)
    }
    this.#everyCount = everyCount
    this.#everyMs = everyMs
  }

  onElement(_e: unknown, _ts: number, window: W, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.currentWatermark()) return TriggerResult.FIRE
    ctx.registerEventTimeTimer(window.maxTimestamp())
    if (this.#everyCount !== undefined) {
      const count = ctx.getReducingState(this.#count)
      count.add(1)
      if ((count.get() ?? 0) >= this.#everyCount) {
        this.#resetEarly(ctx)
        return TriggerResult.FIRE
      }
    }
    if (this.#everyMs !== undefined) {
      const timer = ctx.getState(this.#timer)
      if (timer.value() === undefined) {
        const now = ctx.currentProcessingTime()
        const at = now - (now % this.#everyMs) + this.#everyMs
        timer.update(at)
        ctx.registerProcessingTimeTimer(at)
      }
    }
    return TriggerResult.CONTINUE
  }

  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    if (time !== window.maxTimestamp()) return TriggerResult.CONTINUE
    this.#resetEarly(ctx)
    return TriggerResult.FIRE
  }

  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    const timer = ctx.getState(this.#timer)
    if (timer.value() !== time) return TriggerResult.CONTINUE
    timer.clear()
    if (window.maxTimestamp() <= ctx.currentWatermark()) return TriggerResult.CONTINUE
    ctx.getReducingState(this.#count).clear()
    return TriggerResult.FIRE
  }

  canMerge(): boolean {
    return true
  }

  onMerge(window: W, ctx: OnMergeContext): void {
    ctx.mergeReducingState(this.#count)
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp())
  }

  clear(window: W, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp())
    this.#resetEarly(ctx)
  }

  #resetEarly(ctx: TriggerContext): void {
    ctx.getReducingState(this.#count).clear()
    const timer = ctx.getState(this.#timer)
    const at = timer.value()
    if (at !== undefined) {
      ctx.deleteProcessingTimeTimer(at)
      timer.clear()
    }
  }
}

/** Fires when processing time reaches the window end (default of processing-time assigners). */
export class ProcessingTimeTrigger<W extends Window = Window> implements Trigger<unknown, W> {
  static create<W extends Window = Window>(): ProcessingTimeTrigger<W> {
    return new ProcessingTimeTrigger<W>()
  }

  onElement(_e: unknown, _ts: number, window: W, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp())
    return TriggerResult.CONTINUE
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE
  }

  onProcessingTime(time: number, window: W): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE
  }

  canMerge(): boolean {
    return true
  }

  onMerge(window: W, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.currentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp())
  }

  clear(window: W, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp())
  }
}

/** Fires every `count` elements of the window (count windows, or early firing on count alone). */
export class CountTrigger<W extends Window = Window> implements Trigger<unknown, W> {
  readonly #max: number
  readonly #count = new ReducingStateDescriptor<number>('count-trigger', sum)

  static of<W extends Window = Window>(count: number): CountTrigger<W> {
    return new CountTrigger<W>(count)
  }

  constructor(count: number) {
    if (!(Number.isInteger(count) && count > 0)) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `count must be a positive integer, got ${count}`)
    }
    this.#max = count
  }

  onElement(_e: unknown, _ts: number, _w: W, ctx: TriggerContext): TriggerResult {
    const count = ctx.getReducingState(this.#count)
    count.add(1)
    if ((count.get() ?? 0) >= this.#max) {
      count.clear()
      return TriggerResult.FIRE
    }
    return TriggerResult.CONTINUE
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE
  }

  canMerge(): boolean {
    return true
  }

  onMerge(_w: W, ctx: OnMergeContext): void {
    ctx.mergeReducingState(this.#count)
  }

  clear(_w: W, ctx: TriggerContext): void {
    ctx.getReducingState(this.#count).clear()
  }
}

/** Turns every FIRE of the wrapped trigger into FIRE_AND_PURGE: each firing emits only what is new. */
export class PurgingTrigger<T, W extends Window> implements Trigger<T, W> {
  readonly #inner: Trigger<T, W>

  static of<T, W extends Window>(inner: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(inner)
  }

  constructor(inner: Trigger<T, W>) {
    this.#inner = inner
  }

  #purge(r: TriggerResult): TriggerResult {
    return isFire(r) ? TriggerResult.FIRE_AND_PURGE : r
  }

  onElement(e: T, ts: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.#purge(this.#inner.onElement(e, ts, w, ctx))
  }

  onEventTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.#purge(this.#inner.onEventTime(time, w, ctx))
  }

  onProcessingTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.#purge(this.#inner.onProcessingTime(time, w, ctx))
  }

  canMerge(): boolean {
    return this.#inner.canMerge()
  }

  onMerge(w: W, ctx: OnMergeContext): void {
    this.#inner.onMerge(w, ctx)
  }

  clear(w: W, ctx: TriggerContext): void {
    this.#inner.clear(w, ctx)
  }
}

/** Never fires: the default of GlobalWindows, which need a custom trigger (as in Flink). */
export class NeverTrigger<W extends Window = Window> implements Trigger<unknown, W> {
  static create<W extends Window = Window>(): NeverTrigger<W> {
    return new NeverTrigger<W>()
  }

  onElement(): TriggerResult {
    return TriggerResult.CONTINUE
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE
  }

  canMerge(): boolean {
    return true
  }

  onMerge(): void {}

  clear(): void {}
}
