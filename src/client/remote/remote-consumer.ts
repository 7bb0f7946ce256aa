/**
 * @module A consumer whose group membership, fetching and commits happen in a consumer of the
 * host (one per remote consumer, so each is its own group member). Batches are pulled one at a time:
 * the host takes the next batch from its iterator only when asked, so its position is the position
 * of what was handed over here, and commits and revoke listeners see processed positions.
 *
 * assignment(), position() and paused() are synchronous in the interface: they read a mirror kept
 * from assign/seek replies, the host's rebalance events and the batches received. A position the
 * host moves by itself (an out-of-range reset) shows here with the next batch.
 *
 * From an embedded host a batch arrives as the fetched RecordBatch bytes and is decoded here, so the
 * decoding runs on the worker's core, not on the thread running the broker.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { decodeFetched } from '../internal/raw-batches.ts'
import {
  type Consumer,
  type ConsumerBatch,
  type ConsumerOptions,
  type SeekTarget,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../types.ts'
import { type RemoteChannel } from './channel.ts'
import { type EventMessage, Op, type WireAssignment, type WireBatch } from './messages.ts'
import { unpackBatch } from './record-codec.ts'

interface Mirror {
  topic: string
  partition: number
  position: number
  paused: boolean
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }
const ABORTED = Symbol('aborted')

export class RemoteConsumer implements Consumer {
  readonly channel: RemoteChannel
  readonly target: number
  readonly #listener: ConsumerOptions['rebalanceListener']
  readonly #partitions = new Map<string, Mirror>()
  readonly #onClose: (c: RemoteConsumer) => void
  /** Aborted by close(), ending any iteration here at once. */
  readonly closing = new AbortController()
  iterating = false
  #closed = false

  constructor(channel: RemoteChannel, options: ConsumerOptions, onClose: (c: RemoteConsumer) => void) {
    this.channel = channel
    this.target = channel.newTarget()
    this.#onClose = onClose
    const { rebalanceListener, ...plain } = options
    this.#listener = rebalanceListener
    channel.onEvent(this.target, (e) => this.#onEvent(e))
    channel.post(Op.CONSUMER, this.target, [plain])
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    this.#checkOpen()
    // The assignment arrives as 'assigned' events, before this reply.
    await this.channel.request(Op.SUBSCRIBE, this.target, [topics])
  }

  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.#checkOpen()
    const a = await this.channel.request<WireAssignment>(Op.ASSIGN, this.target, [partitions])
    const before = this.#partitions
    const next = new Map<string, Mirror>()
    a.partitions.forEach((tp, i) => {
      const k = key(tp.topic, tp.partition)
      next.set(k, { topic: tp.topic, partition: tp.partition, position: a.positions[i] ?? -1, paused: before.get(k)?.paused ?? false })
    })
    before.clear()
    for (const [k, v] of next) before.set(k, v)
  }

  assignment(): TopicPartition[] {
    return [...this.#partitions.values()].map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  async seek(tp: TopicPartition, target: SeekTarget): Promise<void> {
    const state = this.#state(tp)
    state.position = await this.channel.request<number>(Op.SEEK, this.target, [{ topic: tp.topic, partition: tp.partition }, target])
  }

  position(tp: TopicPartition): number {
    const state = this.#state(tp)
    if (state.position < 0) {
      throw new TributaryError(ErrorCode.ILLEGAL_STATE, `${tp.topic}/${tp.partition} has no position (nothing committed and autoOffsetReset is 'none')`)
    }
    return state.position
  }

  batches(options: { signal?: AbortSignal } = {}): AsyncIterable<ConsumerBatch> {
    return { [Symbol.asyncIterator]: () => new RemoteBatchIterator(this, options.signal) }
  }

  /** A batch arrived: the position moves past it, as the host's did. */
  received(batch: ConsumerBatch): void {
    const state = this.#partitions.get(key(batch.topic, batch.partition))
    if (state !== undefined) state.position = batch.nextOffset
  }

  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.#checkOpen()
    await this.channel.request(Op.COMMIT, this.target, [offsets])
  }

  committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return this.channel.request<TopicPartitionOffset[]>(Op.COMMITTED, this.target, [partitions])
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#state(tp).paused = true
    this.channel.post(Op.PAUSE, this.target, [partitions])
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#state(tp).paused = false
    this.channel.post(Op.RESUME, this.target, [partitions])
  }

  paused(): TopicPartition[] {
    return [...this.#partitions.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.closing.abort()
    try {
      // The host leaves the group; its revoke listener still reaches #onEvent meanwhile.
      await this.channel.request(Op.CLOSE_TARGET, this.target, [])
    } finally {
      this.channel.offEvent(this.target)
      this.#partitions.clear()
      this.#onClose(this)
    }
  }

  async #onEvent(e: EventMessage): Promise<void> {
    if (e.event === 'revoked') {
      try {
        await this.#listener?.onPartitionsRevoked?.(e.partitions)
      } finally {
        for (const tp of e.partitions) this.#partitions.delete(key(tp.topic, tp.partition))
      }
      return
    }
    e.partitions.forEach((tp, i) => {
      this.#partitions.set(key(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition, position: e.positions?.[i] ?? -1, paused: false })
    })
    await this.#listener?.onPartitionsAssigned?.(e.partitions)
  }

  #state(tp: TopicPartition): Mirror {
    const state = this.#partitions.get(key(tp.topic, tp.partition))
    if (state === undefined) throw new TributaryError(ErrorCode.ILLEGAL_STATE, `${tp.topic}/${tp.partition} is not assigned to this consumer`)
    return state
  }

  #checkOpen(): void {
    if (this.#closed) throw new TributaryError(ErrorCode.CLOSED, 'consumer is closed')
  }
}

/**
 * One batches() iteration: each next() asks the host for one batch. Aborting (signal, close, or
 * leaving the loop) answers the waiting next() at once and tells the host to stop its iteration.
 */
class RemoteBatchIterator implements AsyncIterator<ConsumerBatch> {
  readonly #consumer: RemoteConsumer
  readonly #signals: AbortSignal[]
  #started = false
  #done = false
  #onAbort: (() => void) | undefined
  #aborted: Promise<typeof ABORTED> | undefined

  constructor(consumer: RemoteConsumer, signal: AbortSignal | undefined) {
    this.#consumer = consumer
    this.#signals = signal === undefined ? [consumer.closing.signal] : [consumer.closing.signal, signal]
  }

  async next(): Promise<IteratorResult<ConsumerBatch>> {
    if (this.#done) return DONE
    if (!this.#started) this.#start()
    const c = this.#consumer
    for (;;) {
      if (this.#signals.some((s) => s.aborted)) return this.#finish(true)
      let result: WireBatch | null | typeof ABORTED
      try {
        result = await Promise.race([c.channel.request<WireBatch | null>(Op.NEXT, c.target, []), this.#aborted as Promise<typeof ABORTED>])
      } catch (err) {
        // The host's iteration ended with the error.
        this.#finish(false)
        throw err
      }
      if (result === ABORTED) return this.#finish(true)
      if (result === null) return this.#finish(false)
      const batch = await this.#decode(result)
      c.received(batch)
      // Raw bytes may hold nothing for us (records compacted away before the position): ask again.
      if (batch.records.length > 0) return { done: false, value: batch }
    }
  }

  /** Fetched bytes are decoded here, in the worker; a batch that fails to decode is not skipped. */
  async #decode(w: WireBatch): Promise<ConsumerBatch> {
    if (w.position === undefined) return unpackBatch(w)
    try {
      return decodeFetched(w.topic, w.partition, Buffer.from(w.bytes), w.position, w.highWatermark)
    } catch (err) {
      this.#finish(true)
      await this.#consumer.seek({ topic: w.topic, partition: w.partition }, w.position).catch(() => undefined)
      throw err
    }
  }

  async return(): Promise<IteratorResult<ConsumerBatch>> {
    return this.#finish(this.#started && !this.#done)
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
      for (const s of this.#signals) s.removeEventListener('abort', this.#onAbort as () => void)
    }
    if (stopHost) c.channel.post(Op.STOP, c.target, [])
    return DONE
  }
}
