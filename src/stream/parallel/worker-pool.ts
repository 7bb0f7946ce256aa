/**
 * @module Worker threads kept between parallel jobs, as Flink's task managers outlive the jobs they
 * run. A job run with `pool` takes idle workers (starting more when needed) instead of starting its
 * own: it skips the thread start and the loading of the stream modules (~0.1–0.2 s per job on a
 * 2-core machine) and runs on code the JIT has already compiled. A pooled worker runs one job at a
 * time; one that failed, was terminated or exited is not reused. close() ends the idle workers and
 * those still busy once their job ends.
 */
import { Worker } from 'node:worker_threads'

const workerEntry = new URL('./worker-main.ts', import.meta.url)

/** workerData of a pooled worker: it waits for jobs (PooledJob messages) instead of running one. */
export const POOLED = 'tributary-pooled-worker'

export class WorkerPool {
  readonly #idle: Worker[] = []
  readonly #busy = new Set<Worker>()
  #closed = false

  /** Threads started so far and still alive (idle or running a job). */
  get size(): number {
    return this.#idle.length + this.#busy.size
  }

  /** An idle worker, or a new one. For runParallelJob. */
  acquire(): Worker {
    if (this.#closed) throw new Error('the worker pool is closed')
    const worker = this.#idle.pop() ?? new Worker(workerEntry, { workerData: POOLED })
    this.#busy.add(worker)
    return worker
  }

  /** Back to the idle workers after a job that ended normally. */
  release(worker: Worker): void {
    this.#busy.delete(worker)
    if (this.#closed) void worker.terminate()
    else this.#idle.push(worker)
  }

  /** Ends a worker that must not run another job (failed, stopped, or already exited). */
  discard(worker: Worker): void {
    this.#busy.delete(worker)
    void worker.terminate()
  }

  async close(): Promise<void> {
    this.#closed = true
    const idle = this.#idle.splice(0)
    await Promise.all(idle.map((w) => w.terminate()))
  }
}
