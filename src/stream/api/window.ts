/**
 * @module Window types. A window's `namespace` addresses its state and timers in the keyed state
 * backend; assigners turn a namespace back into the window when a timer fires.
 */

export interface Window {
  /** The largest timestamp that still belongs to the window (end - 1 for time windows). */
  maxTimestamp(): number
  /** Stable id of the window within its assigner. */
  readonly namespace: string
}

/** A half-open interval [start, end) of event or processing time, in ms. */
export class TimeWindow implements Window {
  readonly start: number
  readonly end: number
  readonly namespace: string

  constructor(start: number, end: number) {
    this.start = start
    this.end = end
    this.namespace = `${start}:${end}`
  }

  maxTimestamp(): number {
    return this.end - 1
  }

  /** Overlapping or adjacent: session windows that touch merge, as in Flink. */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start
  }

  cover(other: TimeWindow): TimeWindow {
    // Windows are immutable: a window that already covers the other is the answer (no new namespace).
    if (this.start <= other.start && this.end >= other.end) return this
    if (other.start <= this.start && other.end >= this.end) return other
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end))
  }

  equals(other: TimeWindow): boolean {
    return this.start === other.start && this.end === other.end
  }

  static fromNamespace(namespace: string): TimeWindow {
    const sep = namespace.indexOf(':')
    return new TimeWindow(Number(namespace.slice(0, sep)), Number(namespace.slice(sep + 1)))
  }

  toJSON(): { start: number; end: number } {
    return { start: this.start, end: this.end }
  }
}

/** The one window of GlobalWindows: never ends, so it fires only through a custom trigger. */
export class GlobalWindow implements Window {
  static readonly INSTANCE = new GlobalWindow()
  readonly namespace = 'global'

  private constructor() {}

  maxTimestamp(): number {
    return Number.POSITIVE_INFINITY
  }

  toJSON(): string {
    return 'global'
  }
}

/**
 * Start of the window of `size` (shifted by `offset`) that holds `timestamp`; correct for
 * negative timestamps too.
 */
export function windowStart(timestamp: number, offset: number, size: number): number {
  const r = (timestamp - offset) % size
  return timestamp - (r < 0 ? r + size : r)
}
