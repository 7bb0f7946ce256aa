/**
 * @module The embedded consumer: reads assigned partitions with long-poll fetches from the broker,
 * either assigned by hand or through group membership (see group-membership.ts). Positions advance
 * as batches are yielded; rebalances run between batches (never while the caller holds one) or in
 * the background when nobody is iterating, so a revoke listener always sees processed positions.
 */
import { type Broker } from '../../broker/broker.ts'
import { type FetchPartitionRequest, type FetchPartitionResult } from '../../broker/types.ts'
import { type Clock } from '../../util/clock.ts'
import { type ErrorCode as ErrorCodeType, ErrorCode, TributaryError } from '../../util/errors.ts'
import { type ConsumerMode, IterationState, type RebalanceParts, checkAssign, checkSubscribe, commitEntries, isRebalanceError, membershipHost, membershipOptions, raceAbort, requireGroup } from '../internal/consumer-core.ts'
import { type CommitEntry, type PartitionState, PartitionPositions, partitionKey } from '../internal/partition-positions.ts'
import { type RawBatchSource, type RawPartitionBatches, decodeFetched, scanFetched } from '../internal/raw-batches.ts'
import {
  type Consumer,
  type ConsumerBatch,
  type ConsumerOptions,
  type SeekTarget,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../types.ts'
import { type GroupMembership, groupMembership } from './group-membership.ts'
import { type TopicMetadata } from './metadata.ts'

/** How one iteration turns a partition's fetch result into what it yields (decoded records, or the raw bytes). */
interface Take<T extends { nextOffset: number }> {
  (r: FetchPartitionResult, position: number): T
}

const decoded: Take<ConsumerBatch> = (r, position) => decodeFetched(r.topic, r.partition, r.records, position, r.highWatermark)

const raw: Take<RawPartitionBatches & { empty: boolean }> = (r, position) => {
  const scan = scanFetched(r.records, position)
  return { topic: r.topic, partition: r.partition, bytes: r.records, position, highWatermark: r.highWatermark, nextOffset: scan.nextOffset, empty: !scan.hasRecords }
}

export class EmbeddedConsumer implements Consumer, RawBatchSource {
  readonly #broker: Broker
  readonly #metadata: TopicMetadata
  readonly #clock: Clock
  readonly #options: ConsumerOptions
  readonly #onClose: (c: EmbeddedConsumer) => void
  readonly #partitions: PartitionPositions
  readonly #closing = new AbortController()
  #mode: ConsumerMode = 'none'
  #membership: GroupMembership | undefined
  readonly #iteration = new IterationState()
  #lastAutoCommit: number
  #closed = false

  constructor(broker: Broker, metadata: TopicMetadata, clock: Clock, options: ConsumerOptions, onClose: (c: EmbeddedConsumer) => void) {
    this.#broker = broker
    this.#metadata = metadata
    this.#clock = clock
    this.#options = options
    this.#onClose = onClose
    this.#lastAutoCommit = clock.now()
    this.#partitions = new PartitionPositions(
      {
        fetchCommitted: async (groupId, partitions) => broker.groups.fetchOffsets(groupId, partitions),
        listOffset: async (tp, target) => (await broker.listOffsets(tp.topic, tp.partition, target)).offset,
      },
      options,
    )
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    this.#checkOpen()
    const groupId = checkSubscribe(this.#options, this.#mode, topics)
    this.#mode = 'subscribe'
    this.#membership ??= groupMembership(
      this.#broker,
      this.#clock,
      { ...membershipOptions(this.#options, groupId), clientId: this.#options.clientId ?? 'tributary-embedded' },
      membershipHost(this.#rebalanceParts()),
      this.#closing.signal,
    )
    this.#membership.setTopics(topics)
    await this.#membership.ensureActive()
  }

  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.#checkOpen()
    checkAssign(this.#mode)
    for (const tp of partitions) await this.#metadata.checkPartition(tp.topic, tp.partition)
    this.#mode = 'assign'
    await this.#partitions.assign(partitions)
    this.#iteration.wakeUp()
  }

  assignment(): TopicPartition[] {
    return this.#partitions.assignment()
  }

  async seek(tp: TopicPartition, target: SeekTarget): Promise<void> {
    await this.#partitions.seek(tp, target)
    this.#iteration.wakeUp()
  }

  position(tp: TopicPartition): number {
    return this.#partitions.position(tp)
  }

  batches(options: { signal?: AbortSignal } = {}): AsyncIterable<ConsumerBatch> {
    return { [Symbol.asyncIterator]: () => this.#iterate(options.signal, decoded, (b) => b.records.length === 0) }
  }

  /** As batches(), but each partition's fetched batches undecoded (for the remote client's host). */
  rawBatches(options: { signal?: AbortSignal } = {}): AsyncIterable<RawPartitionBatches> {
    return { [Symbol.asyncIterator]: () => this.#iterate(options.signal, raw, (b) => b.empty) }
  }

  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.#checkOpen()
    await this.#commitEntries(commitEntries(offsets, this.#partitions))
  }

  async committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const groupId = requireGroup(this.#options, 'committed()')
    const found = await this.#broker.groups.fetchOffsets(groupId, partitions)
    const byKey = new Map(found.map((c) => [partitionKey(c.topic, c.partition), c]))
    return partitions.map((tp) => {
      const c = byKey.get(partitionKey(tp.topic, tp.partition))
      return { topic: tp.topic, partition: tp.partition, offset: c?.offset ?? -1, metadata: c?.metadata ?? null }
    })
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.#partitions.pause(partitions)
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.#partitions.resume(partitions)
    this.#iteration.wakeUp()
  }

  paused(): TopicPartition[] {
    return this.#partitions.paused()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#closing.abort(new TributaryError(ErrorCode.CLOSED, 'consumer closed'))
    try {
      const membership = this.#membership
      if (membership !== undefined) await membership.settled()
      if (this.#options.autoCommit === true && this.#options.groupId !== undefined) {
        await this.#commitEntries(this.#partitions.changedPositions()).catch((err: unknown) => {
          if (!isRebalanceError(err)) throw err
        })
      }
      if (membership !== undefined) {
        const owned = this.assignment()
        if (owned.length > 0) await this.#options.rebalanceListener?.onPartitionsRevoked?.(owned)
      }
    } finally {
      this.#membership?.leave()
      this.#partitions.clear()
      this.#onClose(this)
    }
  }

  // ---- iteration ----

  async *#iterate<T extends { nextOffset: number }>(signal: AbortSignal | undefined, take: Take<T>, empty: (item: T) => boolean): AsyncGenerator<T> {
    if (this.#iteration.iterating) throw new TributaryError(ErrorCode.ILLEGAL_STATE, 'batches() is already being iterated')
    this.#iteration.iterating = true
    try {
      let rotate = 0
      while (!this.#stopped(signal)) {
        this.#iteration.throwBackgroundError()
        await this.#maybeAutoCommit()
        const membership = this.#membership
        if (membership?.needsJoin === true) {
          await raceAbort(membership.ensureActive(), signal)
          continue
        }
        const requests = this.#fetchRequests(rotate++)
        const wake = this.#iteration.arm()
        const waitSignal = AbortSignal.any(signal === undefined ? [wake.signal, this.#closing.signal] : [wake.signal, this.#closing.signal, signal])
        let results: FetchPartitionResult[]
        try {
          if (requests.length === 0) {
            await this.#clock.sleep(this.#options.maxWaitMs ?? 500, waitSignal).catch(() => undefined)
            continue
          }
          results = await this.#broker.fetch(requests, {
            maxWaitMs: this.#options.maxWaitMs ?? 500,
            minBytes: this.#options.minBytes ?? 1,
            maxBytes: this.#options.maxBytes ?? 50 * 1024 * 1024,
            signal: waitSignal,
          })
        } catch (err) {
          if (waitSignal.aborted) continue
          throw err
        } finally {
          this.#iteration.disarm(wake)
        }
        const requested = new Map<string, number>()
        for (const q of requests) requested.set(partitionKey(q.topic, q.partition), q.offset)
        for (let i = 0; i < results.length; i++) {
          const r = results[i] as FetchPartitionResult
          const k = partitionKey(r.topic, r.partition)
          const state = this.#partitions.byKey(k)
          // Dropped when the partition was revoked, paused or moved by seek since the fetch began.
          if (state === undefined || state.paused || state.position !== requested.get(k)) continue
          if (r.error !== undefined) {
            await this.#fetchError(state, r.error)
            continue
          }
          if (r.records.length === 0) continue
          // Taken before the position moves: a batch that fails to decode is not skipped.
          const item = take(r, state.position)
          state.position = item.nextOffset
          if (empty(item)) continue
          yield item
          if (this.#stopped(signal) || this.#membership?.needsJoin === true) break
        }
      }
    } finally {
      this.#iteration.iterating = false
    }
  }

  #fetchRequests(rotate: number): FetchPartitionRequest[] {
    const requests: FetchPartitionRequest[] = []
    const maxBytes = this.#options.maxPartitionBytes ?? 1024 * 1024
    for (const s of this.#partitions.values()) {
      if (s.paused) continue
      if (s.position < 0) {
        throw new TributaryError(ErrorCode.OFFSET_OUT_OF_RANGE, `no committed offset for ${s.topic}/${s.partition} and autoOffsetReset is 'none'`)
      }
      requests.push({ topic: s.topic, partition: s.partition, offset: s.position, maxBytes })
    }
    // Rotating the order keeps one busy partition from filling every response.
    if (requests.length > 1) {
      const shift = rotate % requests.length
      return requests.slice(shift).concat(requests.slice(0, shift))
    }
    return requests
  }

  async #fetchError(state: PartitionState, error: { code: string; message: string }): Promise<void> {
    if (error.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      const policy = this.#options.autoOffsetReset ?? 'latest'
      if (policy === 'none') throw new TributaryError(ErrorCode.OFFSET_OUT_OF_RANGE, error.message)
      state.position = (await this.#broker.listOffsets(state.topic, state.partition, policy)).offset
      return
    }
    if ((error.code === ErrorCode.UNKNOWN_TOPIC || error.code === ErrorCode.UNKNOWN_PARTITION) && this.#membership !== undefined) {
      // The topic went away: the leader's next assignment will no longer include it.
      this.#metadata.forget(state.topic)
      this.#membership.requestRejoin()
      return
    }
    throw new TributaryError(error.code as ErrorCodeType, error.message)
  }

  // ---- group membership callbacks ----

  #rebalanceParts(): RebalanceParts {
    return {
      positions: this.#partitions,
      options: this.#options,
      iteration: this.#iteration,
      commit: (entries) => this.#commitEntries(entries),
      membership: () => this.#membership,
    }
  }

  // ---- commits ----

  async #commitEntries(entries: CommitEntry[]): Promise<void> {
    const groupId = requireGroup(this.#options, 'commit()')
    if (entries.length === 0) return
    const m = this.#membership
    const inGroup = m !== undefined && m.active
    await this.#broker.groups.commitOffsets({
      groupId,
      generationId: inGroup ? m.generationId : -1,
      memberId: inGroup ? m.memberId : '',
      offsets: entries,
    })
    this.#partitions.markCommitted(entries)
  }

  async #maybeAutoCommit(): Promise<void> {
    if (this.#options.autoCommit !== true || this.#options.groupId === undefined) return
    const now = this.#clock.now()
    if (now - this.#lastAutoCommit < (this.#options.autoCommitIntervalMs ?? 5000)) return
    this.#lastAutoCommit = now
    await this.#commitEntries(this.#partitions.changedPositions()).catch((err: unknown) => {
      if (!isRebalanceError(err)) throw err
    })
  }

  // ---- helpers ----

  #checkOpen(): void {
    if (this.#closed) throw new TributaryError(ErrorCode.CLOSED, 'consumer is closed')
  }

  #stopped(signal: AbortSignal | undefined): boolean {
    return this.#closed || signal?.aborted === true
  }
}
