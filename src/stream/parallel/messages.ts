/**
 * @module What the main thread and the job's worker threads tell each other: tasks finished (so a
 * bounded job ends once every task finished in some worker), metrics, the result or the error, and
 * cancellation. Errors cross as code + message.
 */
import { type MessagePort } from 'node:worker_threads'
import { type JobMetrics } from '../api/job-handle.ts'

export interface WorkerError {
  code: string
  message: string
}

export type FromWorker =
  | { type: 'finished'; stage: number; task: number }
  | { type: 'metrics'; metrics: JobMetrics }
  | { type: 'result'; cancelled: boolean; metrics: JobMetrics }
  | { type: 'failed'; error: WorkerError; metrics: JobMetrics }

export type ToWorker = { type: 'finished'; stage: number; task: number } | { type: 'cancel' }

/** What a worker starts from (structured-cloned into the thread, the port transferred). */
export interface WorkerStart {
  name: string
  worker: number
  workers: number
  /** URL of the pipeline module and the name of its builder export. */
  module: string
  export: string
  args: unknown
  environment: WorkerEnvironmentOptions
  /** URL of the module that connects the worker's Client, and that export's name. */
  clientModule: string
  clientExport: string
  metricsIntervalMs: number
}

/** Main thread → pooled worker: run this job, with these ports for its client and its control messages. */
export interface PooledJob {
  type: 'job'
  start: WorkerStart
  port: MessagePort
  control: MessagePort
}

/** The StreamEnvironment options a worker can be given (plain data). */
export interface WorkerEnvironmentOptions {
  /** Tasks of the stages behind a keyBy (StreamEnvironmentOptions.parallelism). */
  parallelism?: number
  autoWatermarkIntervalMs?: number
  mailboxCapacity?: number
}
