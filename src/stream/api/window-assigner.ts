/**
 * @module Window assigners, as Flink's: an assigner maps an element to its windows and names the
 * default trigger; the trigger and the window function are chosen apart. Merging assigners
 * (sessions) also merge overlapping windows.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger, type Trigger } from './trigger.ts'
import { GlobalWindow, TimeWindow, type Window, windowStart } from './window.ts'

export interface WindowAssignerContext {
  currentProcessingTime(): number
}

export interface WindowAssigner<T, W extends Window> {
  /**
   * Windows the element belongs to (its timestamp is event or processing time per assigner). The
   * array may be shared between calls: callers read it and never change it.
   */
  assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): readonly W[]
  defaultTrigger(): Trigger<T, W>
  readonly isEventTime: boolean
  windowFromNamespace(namespace: string): W
  /** Present on merging assigners: calls back once per group of windows that merge into one. */
  mergeWindows?(windows: readonly W[], merge: (toMerge: W[], result: W) => void): void
}

function positive(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `${name} must be a positive number of ms, got ${v}`)
}

function checkOffset(offset: number, size: number): void {
  if (!(Math.abs(offset) < size)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `offset must be smaller than the window size, got ${offset}`)
}

abstract class TimeWindowAssigner<T> implements WindowAssigner<T, TimeWindow> {
  readonly isEventTime: boolean
  // The windows of the last lookup. Consecutive elements mostly share their windows; reusing the
  // objects spares an allocation per element and keeps the same namespace strings, whose hashes
  // V8 caches, for the state and timer lookups that follow.
  #cachedKey = Number.NaN
  #cached: readonly TimeWindow[] = []
  #lastNamespace: string | undefined
  #lastWindow: TimeWindow | undefined

  constructor(isEventTime: boolean) {
    this.isEventTime = isEventTime
  }

  abstract windowsAt(time: number): TimeWindow[]

  /** Times with the same key have the same windows. */
  protected abstract cacheKey(time: number): number

  assignWindows(_e: T, timestamp: number, ctx: WindowAssignerContext): readonly TimeWindow[] {
    const time = this.isEventTime ? timestamp : ctx.currentProcessingTime()
    const key = this.cacheKey(time)
    if (key !== this.#cachedKey) {
      this.#cached = this.windowsAt(time)
      this.#cachedKey = key
    }
    return this.#cached
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return this.isEventTime ? EventTimeTrigger.create<TimeWindow>() : ProcessingTimeTrigger.create<TimeWindow>()
  }

  windowFromNamespace(namespace: string): TimeWindow {
    // Timers fire in time order, so the timers of one window fire one after the other for every key.
    if (namespace !== this.#lastNamespace) {
      this.#lastWindow = TimeWindow.fromNamespace(namespace)
      this.#lastNamespace = namespace
    }
    return this.#lastWindow as TimeWindow
  }
}

/** Fixed-size, non-overlapping windows [k*size + offset, (k+1)*size + offset). */
export class TumblingWindows<T = unknown> extends TimeWindowAssigner<T> {
  readonly size: number
  readonly offset: number

  constructor(size: number, offset: number, isEventTime: boolean) {
    super(isEventTime)
    positive('window size', size)
    checkOffset(offset, size)
    this.size = size
    this.offset = offset
  }

  windowsAt(time: number): TimeWindow[] {
    const start = windowStart(time, this.offset, this.size)
    return [new TimeWindow(start, start + this.size)]
  }

  protected cacheKey(time: number): number {
    return windowStart(time, this.offset, this.size)
  }
}

export const TumblingEventTimeWindows = {
  of<T = unknown>(sizeMs: number, offsetMs = 0): TumblingWindows<T> {
    return new TumblingWindows<T>(sizeMs, offsetMs, true)
  },
}

export const TumblingProcessingTimeWindows = {
  of<T = unknown>(sizeMs: number, offsetMs = 0): TumblingWindows<T> {
    return new TumblingWindows<T>(sizeMs, offsetMs, false)
  },
}

/** Hopping windows of `size` every `slide`: an element lands in size/slide windows. */
export class SlidingWindows<T = unknown> extends TimeWindowAssigner<T> {
  readonly size: number
  readonly slide: number
  readonly offset: number

  constructor(size: number, slide: number, offset: number, isEventTime: boolean) {
    super(isEventTime)
    positive('window size', size)
    positive('window slide', slide)
    checkOffset(offset, slide)
    this.size = size
    this.slide = slide
    this.offset = offset
  }

  windowsAt(time: number): TimeWindow[] {
    const out: TimeWindow[] = []
    for (let start = windowStart(time, this.offset, this.slide); start > time - this.size; start -= this.slide) {
      out.push(new TimeWindow(start, start + this.size))
    }
    return out
  }

  /** Within one slide the windows are the same only when the size is a multiple of the slide. */
  protected cacheKey(time: number): number {
    return this.size % this.slide === 0 ? windowStart(time, this.offset, this.slide) : time
  }
}

export const SlidingEventTimeWindows = {
  of<T = unknown>(sizeMs: number, slideMs: number, offsetMs = 0): SlidingWindows<T> {
    return new SlidingWindows<T>(sizeMs, slideMs, offsetMs, true)
  },
}

export const SlidingProcessingTimeWindows = {
  of<T = unknown>(sizeMs: number, slideMs: number, offsetMs = 0): SlidingWindows<T> {
    return new SlidingWindows<T>(sizeMs, slideMs, offsetMs, false)
  },
}

/**
 * Cumulating windows (Flink SQL's CUMULATE): within each `maxSize` period starting at `start`,
 * windows [start, start + step), [start, start + 2*step), ... [start, start + maxSize). Gives
 * "so far today, updated every hour" results without early-firing triggers.
 */
export class CumulativeWindows<T = unknown> extends TimeWindowAssigner<T> {
  readonly maxSize: number
  readonly step: number
  readonly offset: number

  constructor(maxSize: number, step: number, offset: number, isEventTime: boolean) {
    super(isEventTime)
    positive('window max size', maxSize)
    positive('window step', step)
    if (maxSize % step !== 0) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `max size ${maxSize} must be a multiple of step ${step}`)
    checkOffset(offset, maxSize)
    this.maxSize = maxSize
    this.step = step
    this.offset = offset
  }

  windowsAt(time: number): TimeWindow[] {
    const start = windowStart(time, this.offset, this.maxSize)
    const out: TimeWindow[] = []
    for (let end = start + this.step; end <= start + this.maxSize; end += this.step) {
      if (end > time) out.push(new TimeWindow(start, end))
    }
    return out
  }

  /** The windows ending after `time` change only at step boundaries (max size is a multiple of step). */
  protected cacheKey(time: number): number {
    return windowStart(time, this.offset, this.step)
  }
}

export const CumulativeEventTimeWindows = {
  of<T = unknown>(maxSizeMs: number, stepMs: number, offsetMs = 0): CumulativeWindows<T> {
    return new CumulativeWindows<T>(maxSizeMs, stepMs, offsetMs, true)
  },
}

export const CumulativeProcessingTimeWindows = {
  of<T = unknown>(maxSizeMs: number, stepMs: number, offsetMs = 0): CumulativeWindows<T> {
    return new CumulativeWindows<T>(maxSizeMs, stepMs, offsetMs, false)
  },
}

function byStartThenEnd(a: TimeWindow, b: TimeWindow): number {
  return a.start - b.start || a.end - b.end
}

/** Windows that close after a gap of inactivity; overlapping (or touching) sessions merge. */
export class SessionWindows<T = unknown> extends TimeWindowAssigner<T> {
  readonly #gap: (element: T) => number
  // Elements of the same time (and gap) share the window object, as in TimeWindowAssigner.
  #lastTime = Number.NaN
  #lastGap = Number.NaN
  #last: readonly TimeWindow[] = []

  constructor(gap: (element: T) => number, isEventTime: boolean) {
    super(isEventTime)
    this.#gap = gap
  }

  windowsAt(): TimeWindow[] {
    throw new TributaryError(ErrorCode.ILLEGAL_STATE, 'session windows depend on the element')
  }

  protected cacheKey(time: number): number {
    return time
  }

  override assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): readonly TimeWindow[] {
    const time = this.isEventTime ? timestamp : ctx.currentProcessingTime()
    const gap = this.#gap(element)
    if (time === this.#lastTime && gap === this.#lastGap) return this.#last
    positive('session gap', gap)
    this.#last = [new TimeWindow(time, time + gap)]
    this.#lastTime = time
    this.#lastGap = gap
    return this.#last
  }

  mergeWindows(windows: readonly TimeWindow[], merge: (toMerge: TimeWindow[], result: TimeWindow) => void): void {
    if (windows.length === 2) {
      // The usual call: a key's one live session and the new element's window.
      const [a, b] = windows as [TimeWindow, TimeWindow]
      if (a.intersects(b)) merge(byStartThenEnd(a, b) <= 0 ? [a, b] : [b, a], a.cover(b))
      return
    }
    const sorted = [...windows].sort(byStartThenEnd)
    let group: TimeWindow[] = []
    let cover: TimeWindow | undefined
    for (const w of sorted) {
      if (cover !== undefined && cover.intersects(w)) {
        group.push(w)
        cover = cover.cover(w)
        continue
      }
      if (cover !== undefined && group.length > 1) merge(group, cover)
      group = [w]
      cover = w
    }
    if (cover !== undefined && group.length > 1) merge(group, cover)
  }
}

export const EventTimeSessionWindows = {
  withGap<T = unknown>(gapMs: number): SessionWindows<T> {
    positive('session gap', gapMs)
    return new SessionWindows<T>(() => gapMs, true)
  },
  /** The gap comes from each element (e.g. a per-user inactivity timeout). */
  withDynamicGap<T>(gap: (element: T) => number): SessionWindows<T> {
    return new SessionWindows<T>(gap, true)
  },
}

export const ProcessingTimeSessionWindows = {
  withGap<T = unknown>(gapMs: number): SessionWindows<T> {
    positive('session gap', gapMs)
    return new SessionWindows<T>(() => gapMs, false)
  },
}

/** One window per key holding everything; fires only through a custom trigger (or count windows). */
export class GlobalWindows<T = unknown> implements WindowAssigner<T, GlobalWindow> {
  readonly isEventTime = false
  static readonly #WINDOWS: readonly GlobalWindow[] = [GlobalWindow.INSTANCE]

  static create<T = unknown>(): GlobalWindows<T> {
    return new GlobalWindows<T>()
  }

  assignWindows(): GlobalWindow[] {
    return GlobalWindows.#WINDOWS as GlobalWindow[]
  }

  defaultTrigger(): Trigger<T, GlobalWindow> {
    return NeverTrigger.create<GlobalWindow>()
  }

  windowFromNamespace(): GlobalWindow {
    return GlobalWindow.INSTANCE
  }
}

/**
 * "Sliding per event" (Flink SQL's OVER RANGE window): at every event, one result over the same
 * key's events in [ts - range, ts]. An event's window depends on the other events, so no
 * assigner can compute it alone: the translator runs these with a dedicated operator that keeps
 * the events in keyed map state and fires an event-time timer per distinct timestamp.
 * assignWindows gives the window of the event itself, [ts - range, ts + 1).
 */
export class EventSlidingWindows<T = unknown> implements WindowAssigner<T, TimeWindow> {
  readonly isEventTime = true
  readonly range: number

  static of<T = unknown>(rangeMs: number): EventSlidingWindows<T> {
    return new EventSlidingWindows<T>(rangeMs)
  }

  constructor(range: number) {
    if (!(Number.isFinite(range) && range >= 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `range must be >= 0 ms, got ${range}`)
    this.range = range
  }

  assignWindows(_e: T, timestamp: number): TimeWindow[] {
    return [new TimeWindow(timestamp - this.range, timestamp + 1)]
  }

  defaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create<TimeWindow>()
  }

  windowFromNamespace(namespace: string): TimeWindow {
    return TimeWindow.fromNamespace(namespace)
  }
}
