/**
 * @module Per-operator counters (records in/out, late records dropped, bad records). Plain numbers
 * bumped once per batch on the hot path; read as snapshots by JobHandle.metrics().
 */

export class Counters {
  readonly #values = new Map<string, number>()

  inc(name: string, by = 1): void {
    this.#values.set(name, (this.#values.get(name) ?? 0) + by)
  }

  get(name: string): number {
    return this.#values.get(name) ?? 0
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#values)
  }
}

/** Counter names used by the runtime. */
export const Metric = {
  RECORDS_IN: 'recordsIn',
  RECORDS_OUT: 'recordsOut',
  LATE_RECORDS_DROPPED: 'lateRecordsDropped',
  LATE_RECORDS_SIDE_OUTPUT: 'lateRecordsSideOutput',
  BAD_RECORDS: 'badRecords',
  BAD_RECORDS_DROPPED: 'badRecordsDropped',
  RECORDS_WRITTEN: 'recordsWritten',
  SINK_FLUSHES: 'sinkFlushes',
} as const

/** Sums counters of the same operator across tasks. */
export function mergeCounters(into: Record<string, Record<string, number>>, operator: string, counters: Counters): void {
  const target = (into[operator] ??= {})
  for (const [k, v] of Object.entries(counters.snapshot())) target[k] = (target[k] ?? 0) + v
}
