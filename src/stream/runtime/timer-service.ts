/**
 * @module Per-operator event-time and processing-time timers, kept in the keyed state backend's
 * timer queues (so a durable backend checkpoints them with the rest of the state). Timers are per
 * (key, namespace, time) and deduplicated; firing sets the backend's current key first, as Flink's
 * InternalTimerService does.
 */
import { type KeyedStateBackend, type TimerEntry, type TimerQueue } from './keyed-state-backend.ts'

export interface Triggerable {
  onEventTimer(timer: TimerEntry): void
  onProcessingTimer(timer: TimerEntry): void
}

export class InternalTimerService {
  readonly #backend: KeyedStateBackend
  readonly #eventTimers: TimerQueue
  readonly #processingTimers: TimerQueue
  readonly #target: Triggerable
  #watermark = Number.NEGATIVE_INFINITY

  constructor(name: string, backend: KeyedStateBackend, target: Triggerable) {
    this.#backend = backend
    this.#eventTimers = backend.timerQueue(`${name}/event`)
    this.#processingTimers = backend.timerQueue(`${name}/processing`)
    this.#target = target
  }

  get currentWatermark(): number {
    return this.#watermark
  }

  /** Timers are registered for the backend's current key. */
  registerEventTimeTimer(namespace: string, time: number): void {
    this.#eventTimers.add(time, this.#backend.currentKey, namespace)
  }

  deleteEventTimeTimer(namespace: string, time: number): void {
    this.#eventTimers.remove(time, this.#backend.currentKey, namespace)
  }

  registerProcessingTimeTimer(namespace: string, time: number): void {
    this.#processingTimers.add(time, this.#backend.currentKey, namespace)
  }

  deleteProcessingTimeTimer(namespace: string, time: number): void {
    this.#processingTimers.remove(time, this.#backend.currentKey, namespace)
  }

  /** Fires, in time order, every event-time timer at or before the new watermark. */
  advanceWatermark(watermark: number): void {
    this.#watermark = watermark
    for (;;) {
      const next = this.#eventTimers.peek()
      if (next === undefined || next.time > watermark) return
      this.#eventTimers.poll()
      this.#backend.setCurrentKey(next.key)
      this.#target.onEventTimer(next)
    }
  }

  /** Fires, in time order, every processing-time timer due at `now`. */
  advanceProcessingTime(now: number): void {
    for (;;) {
      const next = this.#processingTimers.peek()
      if (next === undefined || next.time > now) return
      this.#processingTimers.poll()
      this.#backend.setCurrentKey(next.key)
      this.#target.onProcessingTimer(next)
    }
  }

  /** When the earliest processing-time timer falls due; Infinity when none. */
  nextProcessingTime(): number {
    return this.#processingTimers.peek()?.time ?? Number.POSITIVE_INFINITY
  }

  get eventTimerCount(): number {
    return this.#eventTimers.size
  }

  get processingTimerCount(): number {
    return this.#processingTimers.size
  }
}
