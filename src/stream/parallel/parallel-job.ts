/**
 * @module runParallelJob: one job over `parallelism` worker threads, Kafka Streams' stream threads.
 * Each worker builds the same pipeline (functions cannot be sent to a thread, so the pipeline comes
 * from a module exporting a builder) and runs it as one member of the job's consumer groups, with
 * the tasks of the partitions assigned to it. Workers reach the broker through a transport: by
 * default a remote client over a MessagePort, served here from the main thread's Client.
 *
 * The main thread relays finished tasks between workers (a bounded job ends when every task
 * finished in some worker), keeps each worker's latest metrics, and fails the job when a worker
 * fails, throws or exits early: the others are cancelled, and stopped if they do not end in time.
 *
 *   // pipeline.ts
 *   export function buildPipeline(env: StreamEnvironment, { args }: PipelineContext<{ topic: string }>): void {
 *     env.fromTopic(args.topic, { format: jsonFormat<Click>() }).keyBy((c) => c.user)...toTopic('out', ...)
 *   }
 *   // main thread
 *   const job = runParallelJob({ name: 'clicks', module: new URL('./pipeline.ts', import.meta.url),
 *     parallelism: 4, transport: remoteClientTransport(client), args: { topic: 'clicks' } })
 *   await job.done
 */
import { type MessagePort, MessageChannel, Worker } from 'node:worker_threads'
import { type Clock, systemClock } from '../../util/clock.ts'
import { ErrorCode, TributaryError, toTributaryError } from '../../util/errors.ts'
import { type JobHandle, type JobMetrics, type JobResult } from '../api/job-handle.ts'
import { type StreamEnvironment } from '../api/stream-environment.ts'
import { type FromWorker, type PooledJob, type ToWorker, type WorkerEnvironmentOptions, type WorkerStart } from './messages.ts'
import { type WorkerPool } from './worker-pool.ts'

/** How workers get a Client. `remoteClientTransport(client)` (src/client/remote) is one. */
export interface WorkerClientTransport {
  /** Main thread: serves the worker at the other end of `port`; closed when the job ended. */
  serve(port: MessagePort): { close(): Promise<void> }
  /** Module URL each worker imports; its `workerExport` takes the port and returns the worker's Client. */
  readonly workerModule: string
  readonly workerExport: string
}

export interface PipelineContext<A = unknown> {
  /** This worker, 0 .. workers - 1. */
  worker: number
  workers: number
  /** `args` of the job options, structured-cloned. */
  args: A
}

/** What the pipeline module exports: records the pipeline on `env` (execute is called for it). */
export type PipelineBuilder<A = unknown> = (env: StreamEnvironment, context: PipelineContext<A>) => void | Promise<void>

export interface ParallelJobOptions<A = unknown> {
  name: string
  /** The module exporting the builder, e.g. `new URL(import.meta.url)`. */
  module: URL | string
  /** Name of the builder export. Default 'buildPipeline'. */
  export?: string
  /** Worker threads, each a member of the job's consumer groups. */
  parallelism: number
  transport: WorkerClientTransport
  /** Plain data handed to every builder. */
  args?: A
  /** StreamEnvironment options of every worker; `environment.parallelism` is the task count behind a keyBy. */
  environment?: WorkerEnvironmentOptions
  signal?: AbortSignal
  /** How often workers report metrics. Default 1000 ms. */
  metricsIntervalMs?: number
  /** Run on workers of this pool (kept between jobs) instead of starting and ending threads for this job. */
  pool?: WorkerPool
  /** How long a cancelled worker may take to end before it is terminated. Default 10 s. */
  stopGraceMs?: number
  clock?: Clock
}

export interface WorkerResult {
  worker: number
  metrics: JobMetrics
}

export interface ParallelJobResult extends JobResult {
  /** Each worker's own metrics: what the tasks it ran did. */
  workers: WorkerResult[]
}

export interface ParallelJobHandle extends JobHandle {
  readonly done: Promise<ParallelJobResult>
  cancel(): Promise<ParallelJobResult>
  /** The latest metrics each worker reported. */
  workerMetrics(): JobMetrics[]
}

const workerEntry = new URL('./worker-main.ts', import.meta.url)

export function runParallelJob<A>(options: ParallelJobOptions<A>): ParallelJobHandle {
  const { parallelism } = options
  if (!(Number.isInteger(parallelism) && parallelism > 0)) {
    throw new TributaryError(ErrorCode.INVALID_CONFIG, `parallelism must be a positive integer, got ${parallelism}`)
  }
  const run = new ParallelRun(options)
  const done = run.start()
  // Callers that only cancel still see the outcome; an unobserved failure is not an unhandled rejection.
  done.catch(() => undefined)
  return {
    name: options.name,
    done,
    cancel: () => {
      run.cancel()
      return done
    },
    metrics: () => mergeMetrics(run.workerMetrics()),
    workerMetrics: () => run.workerMetrics(),
  }
}

interface RunningWorker {
  worker: Worker
  /** Where this job's control messages go: the worker itself, or a pooled worker's port for this job. */
  control: { postMessage(m: ToWorker): void }
  host: { close(): Promise<void> }
  metrics: JobMetrics
  cancelled: boolean
  reported: boolean
  exited: Promise<void>
}

class ParallelRun {
  readonly #o: ParallelJobOptions<unknown>
  readonly #clock: Clock
  readonly #workers: RunningWorker[] = []
  #failure: TributaryError | undefined
  #cancelled = false

  constructor(o: ParallelJobOptions<unknown>) {
    this.#o = o
    this.#clock = o.clock ?? systemClock
  }

  workerMetrics(): JobMetrics[] {
    return this.#workers.map((w) => w.metrics)
  }

  cancel(): void {
    if (this.#cancelled) return
    this.#cancelled = true
    this.#broadcast({ type: 'cancel' })
    const grace = this.#clock.setTimeout(() => {
      for (const w of this.#workers) void w.worker.terminate()
    }, this.#o.stopGraceMs ?? 10_000)
    void Promise.all(this.#workers.map((w) => w.exited)).then(() => grace.cancel())
  }

  async start(): Promise<ParallelJobResult> {
    const o = this.#o
    const onAbort = (): void => this.cancel()
    o.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      for (let i = 0; i < o.parallelism; i++) this.#workers.push(this.#spawn(i))
      if (o.signal?.aborted === true) this.cancel()
      await Promise.all(this.#workers.map((w) => w.exited))
    } finally {
      o.signal?.removeEventListener('abort', onAbort)
      await Promise.allSettled(this.#workers.map((w) => w.host.close()))
    }
    if (this.#failure !== undefined) throw this.#failure
    const workers = this.#workers.map((w, worker) => ({ worker, metrics: w.metrics }))
    const cancelled = this.#workers.some((w) => w.cancelled)
    return { name: o.name, cancelled, metrics: mergeMetrics(workers.map((w) => w.metrics)), workers }
  }

  #spawn(index: number): RunningWorker {
    const o = this.#o
    const { port1, port2 } = new MessageChannel()
    const host = o.transport.serve(port1)
    const start: WorkerStart = {
      name: o.name,
      worker: index,
      workers: o.parallelism,
      module: typeof o.module === 'string' ? o.module : o.module.href,
      export: o.export ?? 'buildPipeline',
      args: o.args,
      environment: o.environment ?? {},
      clientModule: o.transport.workerModule,
      clientExport: o.transport.workerExport,
      metricsIntervalMs: o.metricsIntervalMs ?? 1000,
    }
    return o.pool === undefined ? this.#own(index, start, port2, host) : this.#pooled(o.pool, index, start, port2, host)
  }

  /** A thread of this job alone: it ends with the job. */
  #own(index: number, start: WorkerStart, port: MessagePort, host: RunningWorker['host']): RunningWorker {
    const worker = new Worker(workerEntry, { workerData: { ...start, port }, transferList: [port] })
    const running: RunningWorker = { worker, control: worker, host, metrics: {}, cancelled: false, reported: false, exited: Promise.resolve() }
    running.exited = new Promise<void>((resolve) => {
      worker.on('exit', (code) => {
        if (!running.reported) this.#fail(this.#exitedEarly(index, code))
        resolve()
      })
    })
    worker.on('message', (m: FromWorker) => this.#onMessage(index, running, m))
    worker.on('error', (err: unknown) => {
      running.reported = true
      this.#fail(workerError(err))
    })
    return running
  }

  /** A pooled thread: done with this job once it reported; back to the pool then, unless it failed. */
  #pooled(pool: WorkerPool, index: number, start: WorkerStart, port: MessagePort, host: RunningWorker['host']): RunningWorker {
    const worker = pool.acquire()
    const { port1: control, port2: controlRemote } = new MessageChannel()
    const running: RunningWorker = { worker, control, host, metrics: {}, cancelled: false, reported: false, exited: Promise.resolve() }
    let failed = false
    running.exited = new Promise<void>((resolve) => {
      const onExit = (code: number): void => {
        failed = true
        if (!running.reported) this.#fail(this.#exitedEarly(index, code))
        end()
      }
      const onError = (err: unknown): void => {
        failed = true
        running.reported = true
        this.#fail(workerError(err))
        end()
      }
      let ended = false
      const end = (): void => {
        if (ended) return
        ended = true
        worker.off('exit', onExit)
        worker.off('error', onError)
        control.close()
        if (failed || running.cancelled || this.#cancelled) pool.discard(worker)
        else pool.release(worker)
        resolve()
      }
      worker.on('exit', onExit)
      worker.on('error', onError)
      control.on('message', (m: FromWorker) => {
        this.#onMessage(index, running, m)
        if (m.type === 'failed') failed = true
        if (m.type === 'result' || m.type === 'failed') end()
      })
    })
    const job: PooledJob = { type: 'job', start, port, control: controlRemote }
    worker.postMessage(job, [port, controlRemote])
    return running
  }

  #exitedEarly(index: number, code: number): TributaryError {
    return new TributaryError(ErrorCode.ILLEGAL_STATE, `worker ${index} of job ${this.#o.name} exited (code ${code}) before the job ended`)
  }

  #onMessage(index: number, w: RunningWorker, m: FromWorker): void {
    switch (m.type) {
      case 'finished':
        this.#workers.forEach((other, i) => {
          if (i !== index) other.control.postMessage(m satisfies ToWorker)
        })
        return
      case 'metrics':
        w.metrics = m.metrics
        return
      case 'result':
        w.metrics = m.metrics
        w.cancelled = m.cancelled
        this.#reported(w)
        return
      case 'failed':
        w.metrics = m.metrics
        this.#reported(w)
        this.#fail(new TributaryError(knownCode(m.error.code), m.error.message))
    }
  }

  /** A worker that reported its outcome ends by itself; one that does not is stopped after the grace. */
  #reported(w: RunningWorker): void {
    w.reported = true
    const grace = this.#clock.setTimeout(() => void w.worker.terminate(), this.#o.stopGraceMs ?? 10_000)
    void w.exited.then(() => grace.cancel())
  }

  #fail(err: TributaryError): void {
    this.#failure ??= err
    this.cancel()
  }

  #broadcast(m: ToWorker): void {
    for (const w of this.#workers) w.control.postMessage(m)
  }
}

const codes = new Set<string>(Object.values(ErrorCode))

function knownCode(code: string): ErrorCode {
  return codes.has(code) ? (code as ErrorCode) : ErrorCode.ILLEGAL_STATE
}

/** An error thrown in a worker arrives cloned: its own `code` survives only as a plain property. */
function workerError(err: unknown): TributaryError {
  const code = (err as { code?: unknown } | null)?.code
  const e = toTributaryError(err)
  return typeof code === 'string' && codes.has(code) ? new TributaryError(code as ErrorCode, e.message) : e
}

function mergeMetrics(all: readonly JobMetrics[]): JobMetrics {
  const out: JobMetrics = {}
  for (const metrics of all) {
    for (const [operator, counters] of Object.entries(metrics)) {
      const target = (out[operator] ??= {})
      for (const [k, v] of Object.entries(counters)) target[k] = (target[k] ?? 0) + v
    }
  }
  return out
}
