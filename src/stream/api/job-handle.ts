/**
 * @module What execute() returns: the running job. `done` resolves when a bounded job finished
 * (all sources exhausted, every window flushed, sinks written) or after cancel(); it rejects
 * when a task fails.
 */

/** Counters per operator name, summed over its tasks. */
export type JobMetrics = Record<string, Record<string, number>>

export interface JobResult {
  name: string
  /** True when the job stopped through cancel() or its signal rather than by finishing. */
  cancelled: boolean
  metrics: JobMetrics
}

export interface JobHandle {
  readonly name: string
  readonly done: Promise<JobResult>
  /** Stops reading, flushes sinks, closes; resolves like `done`. */
  cancel(): Promise<JobResult>
  metrics(): JobMetrics
}
