/**
 * @module One batches() iteration of a remote consumer. Each batch is one NEXT request to the host;
 * once a batch is handed out, the request for the next one is already sent (read-ahead), so the
 * host fetches while the caller processes instead of after it. Fetched bytes are decoded here.
 *
 * Aborting (signal, close, or leaving the loop) answers the waiting next() at once and tells the host
 * to stop its iteration; a batch read ahead that still arrives puts the host's position back, and
 * the consumer's next calls wait for that (`settling`).
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { decodeFetched } from '../internal/raw-batches.ts'
import { type ConsumerBatch } from '../types.ts'
import { Op, type WireBatch } from './messages.ts'
import { unpackBatch } from './record-codec.ts'
import { type RemoteConsumer } from './remote-consumer.ts'

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }
const ABORTED = Symbol('aborted')

interface Request {
  reply: Promise<WireBatch | null>
  /** The consumer's `moves` when it was sent. */
  at: number
}

export class RemoteBatchIterator implements AsyncIterator<ConsumerBatch> {
  readonly #consumer: RemoteConsumer
  readonly #signals: AbortSignal[]
  #started = false
  #done = false
  /** Off once the host sends packed records (no position to go back to): one request per batch then. */
  #readAhead: boolean
  #ahead: Request | undefined
  #onAbort: (() => void) | undefined
  #aborted: Promise<typeof ABORTED> | undefined

  constructor(consumer: RemoteConsumer, signal: AbortSignal | undefined) {
    this.#consumer = consumer
    this.#readAhead = consumer.readAhead
    this.#signals = signal === undefined ? [consumer.closing.signal] : [consumer.closing.signal, signal]
  }

  async next(): Promise<IteratorResult<ConsumerBatch>> {
    if (this.#done) return DONE
    const c = this.#consumer
    if (!this.#started) {
      this.#start()
      await c.settling
    }
    // The caller is done with its batch: rebalance listeners held meanwhile run now.
    c.hold(false)
    for (;;) {
      if (this.#signals.some((s) => s.aborted)) return this.#finish(true)
      const request = this.#ahead ?? this.#request()
      this.#ahead = undefined
      let result: WireBatch | null | typeof ABORTED
      try {
        result = await Promise.race([request.reply, this.#aborted as Promise<typeof ABORTED>])
      } catch (err) {
        // The host's iteration ended with the error.
        this.#finish(false)
        throw err
      }
      if (result === ABORTED) {
        this.#settle(request)
        return this.#finish(true)
      }
      if (result === null) return this.#finish(false)
      if (result.position === undefined) this.#readAhead = false
      const admission = c.admit(result, request.at)
      if (admission !== 'accept') {
        if (admission !== 'drop') await c.reposition(result, admission.seek)
        continue
      }
      const batch = await this.#decode(result)
      c.received(batch)
      if (this.#readAhead) this.#ahead = this.#request()
      // Raw bytes may hold nothing for the caller (records compacted away before the position).
      if (batch.records.length > 0) {
        c.hold(true)
        return { done: false, value: batch }
      }
    }
  }

  async return(): Promise<IteratorResult<ConsumerBatch>> {
    return this.#finish(this.#started && !this.#done)
  }

  #request(): Request {
    const c = this.#consumer
    const reply = c.channel.request<WireBatch | null>(Op.NEXT, c.target, [])
    // Observed here so a read-ahead that fails while nobody waits is not an unhandled rejection.
    reply.catch(() => undefined)
    return { reply, at: c.moves }
  }

  /** Fetched bytes are decoded here, in the worker; a batch that fails to decode is not skipped. */
  async #decode(w: WireBatch): Promise<ConsumerBatch> {
    if (w.position === undefined) return unpackBatch(w)
    try {
      const bytes = w.view === undefined ? Buffer.from(w.bytes) : Buffer.from(w.bytes, w.view[0], w.view[1])
      return decodeFetched(w.topic, w.partition, bytes, w.position, w.highWatermark)
    } catch (err) {
      this.#finish(true)
      await this.#consumer.reposition(w, w.position)
      throw err
    }
  }

  /** A batch of `request` that arrives after all was not handed out: the host goes back to its start. */
  #settle(request: Request | undefined): void {
    if (request === undefined) return
    const c = this.#consumer
    c.settling = c.settling.then(async () => {
      const w = await request.reply.catch(() => null)
      if (w !== null && w.position !== undefined) await c.reposition(w, w.position)
    })
  }

  #start(): void {
    const c = this.#consumer
    if (c.iterating) throw new TributaryError(ErrorCode.ILLEGAL_STATE, 'batches() is already being iterated')
    c.iterating = true
    this.#started = true
    this.#aborted = new Promise((resolve) => {
      this.#onAbort = () => resolve(ABORTED)
    })
    for (const s of this.#signals) s.addEventListener('abort', this.#onAbort as () => void, { once: true })
  }

  #finish(stopHost: boolean): IteratorReturnResult<undefined> {
    if (this.#done) return DONE
    this.#done = true
    const c = this.#consumer
    if (this.#started) {
      c.iterating = false
      c.hold(false)
      for (const s of this.#signals) s.removeEventListener('abort', this.#onAbort as () => void)
    }
    if (stopHost) c.channel.post(Op.STOP, c.target, [])
    this.#settle(this.#ahead)
    this.#ahead = undefined
    return DONE
  }
}
