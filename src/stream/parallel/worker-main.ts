/**
 * @module Entry of one worker thread of runParallelJob: connects the worker's Client through the
 * transport module, builds the pipeline with the user's builder on a fresh StreamEnvironment (one
 * member of each of the job's consumer groups), runs it and reports finished tasks, metrics and the
 * result or the error to the main thread. A pooled worker (worker-pool.ts) does that for every job
 * it is sent, each with its own client and control port.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads'
import { type Client } from '../../client/types.ts'
import { systemClock, type TimerHandle } from '../../util/clock.ts'
import { ErrorCode, TributaryError, toTributaryError } from '../../util/errors.ts'
import { type JobHandle, type JobMetrics } from '../api/job-handle.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { type JobPeers } from '../runtime/job-peers.ts'
import { type FromWorker, type PooledJob, type ToWorker, type WorkerStart } from './messages.ts'
import { POOLED } from './worker-pool.ts'

/** Finished tasks of the other workers, held until the job registers its handler. */
class WorkerPeers implements JobPeers {
  readonly members: number
  readonly index: number
  readonly #send: (m: FromWorker) => void
  #handler: ((stage: number, task: number) => void) | undefined
  #queued: [number, number][] = []

  constructor(index: number, members: number, send: (m: FromWorker) => void) {
    this.index = index
    this.members = members
    this.#send = send
  }

  finished(stage: number, task: number): void {
    this.#send({ type: 'finished', stage, task })
  }

  onFinished(handler: (stage: number, task: number) => void): void {
    this.#handler = handler
    for (const [stage, task] of this.#queued) handler(stage, task)
    this.#queued = []
  }

  deliver(stage: number, task: number): void {
    if (this.#handler === undefined) this.#queued.push([stage, task])
    else this.#handler(stage, task)
  }
}

async function load<T>(url: string, name: string, what: string): Promise<T> {
  const mod = (await import(url)) as Record<string, unknown>
  const value = mod[name]
  if (typeof value !== 'function') throw new TributaryError(ErrorCode.INVALID_CONFIG, `${what} ${url} has no exported function '${name}'`)
  return value as T
}

async function main(port: MessagePort, start: WorkerStart, control: MessagePort): Promise<void> {
  const send = (m: FromWorker): void => control.postMessage(m)
  const peers = new WorkerPeers(start.worker, start.workers, send)
  let job: JobHandle | undefined
  let cancelled = false
  control.on('message', (m: ToWorker) => {
    if (m.type === 'finished') peers.deliver(m.stage, m.task)
    else if (m.type === 'cancel') {
      cancelled = true
      void job?.cancel().catch(() => undefined)
    }
  })
  let client: Client | undefined
  let timer: TimerHandle | undefined
  try {
    const connect = await load<(port: MessagePort) => Client>(start.clientModule, start.clientExport, 'client module')
    client = connect(port)
    const env = StreamEnvironment.create({ ...start.environment, client, peers })
    const build = await load<(env: StreamEnvironment, context: unknown) => unknown>(start.module, start.export, 'pipeline module')
    await build(env, { worker: start.worker, workers: start.workers, args: start.args })
    const running = env.execute(start.name)
    job = running
    if (cancelled) void running.cancel().catch(() => undefined)
    const report = (): void => {
      send({ type: 'metrics', metrics: running.metrics() })
      timer = systemClock.setTimeout(report, start.metricsIntervalMs)
    }
    timer = systemClock.setTimeout(report, start.metricsIntervalMs)
    const result = await running.done
    timer.cancel()
    send({ type: 'result', cancelled: result.cancelled, metrics: result.metrics })
  } catch (err) {
    timer?.cancel()
    const e = toTributaryError(err)
    const metrics: JobMetrics = job?.metrics() ?? {}
    send({ type: 'failed', error: { code: e.code, message: e.message }, metrics })
  } finally {
    await client?.close().catch(() => undefined)
    // The control port no longer keeps the thread alive: it ends by itself.
    control.removeAllListeners('message')
    control.unref()
  }
}

if (parentPort !== null) {
  if (workerData === POOLED) {
    // A pooled worker runs the jobs it is sent, one after the other, until the pool ends it.
    parentPort.on('message', (m: PooledJob) => void main(m.port, m.start, m.control))
  } else {
    const data = workerData as WorkerStart & { port: MessagePort }
    void main(data.port, data, parentPort)
  }
}
