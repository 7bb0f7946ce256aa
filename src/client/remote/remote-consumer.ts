/**
 * @module A consumer whose group membership, fetching and commits happen in a consumer of the
 * host (one per remote consumer, so each is its own group member). From an embedded host a batch
 * arrives as the fetched RecordBatch bytes and is decoded here, so decoding runs on the worker's
 * core, not on the thread running the broker.
 *
 * assignment(), position() and paused() are synchronous in the interface: they read a mirror kept
 * from assign/seek replies, the host's rebalance events and the batches handed out. A position the
 * host moves by itself (an out-of-range reset) shows here with the next batch.
 *
 * The iterator reads one batch ahead (remote-batch-iterator.ts), so the host may be a batch past
 * what was handed out here. Everything that could see that difference goes by the mirror instead:
 * commit() without offsets commits the mirror's positions, a batch for a partition sought, paused
 * or revoked meanwhile is dropped (and the host put back), and rebalance listeners run only while
 * the caller holds no batch, as with the embedded consumer.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
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
import { RemoteBatchIterator } from './remote-batch-iterator.ts'

interface Mirror {
  topic: string
  partition: number
  position: number
  paused: boolean
  /** `moves` when seek() or assign() last set this position. */
  movedAt: number
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** What to do with a batch that arrived: hand it out, drop it, or drop it and put the host back at `seek`. */
export type Admission = 'accept' | 'drop' | { seek: number }

export class RemoteConsumer implements Consumer {
  readonly channel: RemoteChannel
  readonly target: number
  /** Auto-commit runs in the host on its positions, so they must not run ahead: no read-ahead then. */
  readonly readAhead: boolean
  readonly #listener: ConsumerOptions['rebalanceListener']
  readonly #partitions = new Map<string, Mirror>()
  readonly #onClose: (c: RemoteConsumer) => void
  /** Aborted by close(), ending any iteration here at once. */
  readonly closing = new AbortController()
  iterating = false
  /** Counts seek() and assign() calls, to tell a batch requested before a move from one after. */
  moves = 0
  /** Host repositioning after an iteration ended with a batch still coming; later calls wait for it. */
  settling: Promise<void> = Promise.resolve()
  #holding = false
  #heldEvents: (() => void)[] = []
  #closed = false

  constructor(channel: RemoteChannel, options: ConsumerOptions, onClose: (c: RemoteConsumer) => void) {
    this.channel = channel
    this.target = channel.newTarget()
    this.#onClose = onClose
    this.readAhead = options.autoCommit !== true
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
    const moved = ++this.moves
    await this.settling
    const a = await this.channel.request<WireAssignment>(Op.ASSIGN, this.target, [partitions])
    const before = this.#partitions
    const next = new Map<string, Mirror>()
    a.partitions.forEach((tp, i) => {
      const k = key(tp.topic, tp.partition)
      next.set(k, { topic: tp.topic, partition: tp.partition, position: a.positions[i] ?? -1, paused: before.get(k)?.paused ?? false, movedAt: moved })
    })
    before.clear()
    for (const [k, v] of next) before.set(k, v)
  }

  assignment(): TopicPartition[] {
    return [...this.#partitions.values()].map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  async seek(tp: TopicPartition, target: SeekTarget): Promise<void> {
    const state = this.#state(tp)
    state.movedAt = ++this.moves
    await this.settling
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

  /**
   * Whether a batch that arrived for a request made when `moves` was `requestedAt` may be handed
   * out. Raw batches only (they carry the position they were read from); packed ones come one per
   * request, never ahead.
   */
  admit(w: WireBatch, requestedAt: number): Admission {
    const state = this.#partitions.get(key(w.topic, w.partition))
    if (state === undefined) return 'drop' // revoked meanwhile: the host forgot its position too
    if (w.position === undefined) return 'accept'
    // Sought after the request: the host may have read from the old position after the seek; put it
    // (back) where the caller wants it.
    if (state.movedAt > requestedAt) return { seek: state.position }
    if (state.paused) return { seek: w.position }
    return 'accept'
  }

  /** Puts the host's position of a partition back (a batch read ahead was not handed out). */
  async reposition(w: WireBatch, position: number): Promise<void> {
    const state = this.#partitions.get(key(w.topic, w.partition))
    if (state !== undefined) state.movedAt = ++this.moves
    await this.channel.request(Op.SEEK, this.target, [{ topic: w.topic, partition: w.partition }, position]).catch(() => undefined)
  }

  /** A batch is handed out: the position moves past it, as the host's did. */
  received(batch: ConsumerBatch): void {
    const state = this.#partitions.get(key(batch.topic, batch.partition))
    if (state !== undefined) state.position = batch.nextOffset
  }

  /** Whether the caller holds a batch (between a next() that returned one and its next call). */
  hold(holding: boolean): void {
    this.#holding = holding
    if (holding) return
    const held = this.#heldEvents
    this.#heldEvents = []
    for (const run of held) run()
  }

  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.#checkOpen()
    // The mirror's positions: the host's may include a batch read ahead and not handed out.
    const entries = offsets ?? [...this.#partitions.values()].filter((s) => s.position >= 0).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position }))
    await this.channel.request(Op.COMMIT, this.target, [entries])
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
    this.hold(false)
    try {
      await this.settling
      // The host leaves the group; its revoke listener still reaches #onEvent meanwhile.
      await this.channel.request(Op.CLOSE_TARGET, this.target, [])
    } finally {
      this.channel.offEvent(this.target)
      this.#partitions.clear()
      this.#onClose(this)
    }
  }

  async #onEvent(e: EventMessage): Promise<void> {
    // A rebalance the host ran while reading ahead waits until the caller is done with its batch.
    if (this.#holding) await new Promise<void>((resolve) => this.#heldEvents.push(resolve))
    if (e.event === 'revoked') {
      try {
        await this.#listener?.onPartitionsRevoked?.(e.partitions)
      } finally {
        for (const tp of e.partitions) this.#partitions.delete(key(tp.topic, tp.partition))
      }
      return
    }
    e.partitions.forEach((tp, i) => {
      this.#partitions.set(key(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition, position: e.positions?.[i] ?? -1, paused: false, movedAt: 0 })
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
