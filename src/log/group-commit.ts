/**
 * @module Group commit. Appends are written at once; a sync round fsyncs every file written so far and
 * then acknowledges every append written before the round started. While a round runs, later appends
 * wait for the next one, so N concurrent appends cost about two fsyncs, not N. A failed fsync is
 * fatal: the kernel may already have dropped the dirty pages, so retrying and acknowledging would lie.
 */
import { ErrorCode, TributaryError } from '../util/errors.ts'

interface Waiter {
  upTo: number
  resolve: () => void
  reject: (err: Error) => void
}

export class GroupCommit {
  #durable: number
  #waiters: Waiter[] = []
  #running = false
  #again = false
  #scheduled = false
  #failure: TributaryError | undefined
  readonly #round: () => Promise<number>
  readonly #onDurable: (offset: number) => void
  readonly #onFailure: (err: TributaryError) => void

  /**
   * `round` fsyncs what is written and returns the offset it covers (taken before its first await);
   * `onDurable` hears each new durable end; `onFailure` hears the fatal error once.
   */
  constructor(durable: number, round: () => Promise<number>, onDurable: (offset: number) => void, onFailure: (err: TributaryError) => void) {
    this.#durable = durable
    this.#round = round
    this.#onDurable = onDurable
    this.#onFailure = onFailure
  }

  /** Everything below this offset is on disk. */
  get durable(): number {
    return this.#durable
  }

  get failure(): TributaryError | undefined {
    return this.#failure
  }

  /** True while a round runs or is about to. */
  get busy(): boolean {
    return this.#running || this.#scheduled
  }

  /** Resolves once everything below `offset` is durable; starts a round if none is due. */
  waitFor(offset: number): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (offset <= this.#durable) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.#waiters.push({ upTo: offset, resolve, reject })
      this.request()
    })
  }

  /** Asks for a round: right after the current synchronous work (so appends made together share it). */
  request(): void {
    if (this.#failure !== undefined) return
    if (this.#running) {
      this.#again = true
      return
    }
    if (this.#scheduled) return
    this.#scheduled = true
    queueMicrotask(() => {
      this.#scheduled = false
      void this.#run()
    })
  }

  /** Makes the log unusable for writes: pending and future waits fail with `err`. */
  fail(err: TributaryError): void {
    if (this.#failure !== undefined) return
    this.#failure = err
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.reject(err)
    this.#onFailure(err)
  }

  /** Rejects waiters without marking a disk failure (the log is closing without a final flush). */
  abandon(err: TributaryError): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.reject(err)
  }

  async #run(): Promise<void> {
    if (this.#running || this.#failure !== undefined) return
    this.#running = true
    this.#again = false
    try {
      const covered = await this.#round()
      if (covered > this.#durable) this.#durable = covered
      let done = 0
      while (done < this.#waiters.length && (this.#waiters[done] as Waiter).upTo <= this.#durable) done++
      const finished = this.#waiters.splice(0, done)
      this.#onDurable(this.#durable)
      for (const w of finished) w.resolve()
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err)
      this.fail(new TributaryError(ErrorCode.STORAGE_ERROR, `fsync failed, the partition accepts no more writes: ${detail}`, { cause: err }))
    } finally {
      this.#running = false
    }
    if (this.#failure === undefined && (this.#again || this.#waiters.length > 0)) this.request()
  }
}
