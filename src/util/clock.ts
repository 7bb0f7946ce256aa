/**
 * @module The injected clock. Log, broker and runtime code take time only from a Clock so that
 * time-dependent logic (session timeouts, retention, watermarks) is tested with a ManualClock.
 */

export interface TimerHandle {
  cancel(): void
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number
  /** Calls `fn` after `ms` milliseconds of this clock's time. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError')
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal))
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      handle.cancel()
      reject(abortReason(signal as AbortSignal))
    }
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

class SystemClock implements Clock {
  now(): number {
    return Date.now()
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = globalThis.setTimeout(fn, ms)
    return { cancel: () => globalThis.clearTimeout(t) }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal)
  }
}

export const systemClock: Clock = new SystemClock()

interface ManualTimer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/** A clock that moves only when told to; timers fire in due order during `advance`. */
export class ManualClock implements Clock {
  #now: number
  #seq = 0
  #timers: ManualTimer[] = []

  constructor(startMs = 0) {
    this.#now = startMs
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    this.#timers.push(timer)
    return {
      cancel: () => {
        timer.cancelled = true
      },
    }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal)
  }

  /** Number of timers still waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#now + ms
    for (;;) {
      const next = this.#nextDue(target)
      if (next === undefined) break
      this.#now = Math.max(this.#now, next.at)
      this.#timers.splice(this.#timers.indexOf(next), 1)
      next.fn()
    }
    this.#now = target
  }

  /** Sets the time (never backwards) and fires what falls due. */
  set(ms: number): void {
    if (ms > this.#now) this.advance(ms - this.#now)
  }

  #nextDue(target: number): ManualTimer | undefined {
    let best: ManualTimer | undefined
    for (const t of this.#timers) {
      if (t.cancelled || t.at > target) continue
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t
    }
    if (best === undefined) this.#timers = this.#timers.filter((t) => !t.cancelled)
    return best
  }
}
