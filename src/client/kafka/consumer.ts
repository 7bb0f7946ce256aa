/**
 * @module The Kafka consumer: positions, pause and seek kept here, Fetch requests to partition
 * leaders over a connection pool of their own (a long-poll fetch never delays a heartbeat or a
 * commit), group membership over the coordinator connection (group-membership.ts). Positions
 * advance as batches are yielded; rebalances run between batches or, when nobody iterates, in
 * the background, so a revoke listener sees processed positions (as the embedded consumer).
 */
import { Base, type RecordsBatch } from '@platformatic/kafka'
import { systemClock } from '../../util/clock.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import { type ConsumerMode, IterationState, type RebalanceParts, checkAssign, checkSubscribe, commitEntries, isRebalanceError, membershipHost, membershipOptions, raceAbort, raceValue, requireGroup } from '../internal/consumer-core.ts'
import { type PartitionState, PartitionPositions, partitionKey } from '../internal/partition-positions.ts'
import { type Consumer, type ConsumerBatch, type ConsumerOptions, type SeekTarget, type TopicPartition, type TopicPartitionOffset } from '../types.ts'
import { fromKafka, kafkaError } from './errors.ts'
import { type AbortedTransaction, toConsumerBatch } from './fetched.ts'
import { type WireGroupMembership, wireGroupMembership } from './group-membership.ts'
import { commitOffsets, fetchCommitted, listOffset } from './offsets.ts'
import { type KafkaClientOptions, libraryOptions } from './options.ts'
import { Wire, errorName } from './wire.ts'

interface FetchRequest {
  topic: string
  partition: number
  offset: number
}

interface FetchResponse {
  responses: {
    topicId: string
    partitions: {
      partitionIndex: number
      errorCode: number
      highWatermark: bigint
      abortedTransactions: AbortedTransaction[] | null
      records?: RecordsBatch[] | null
    }[]
  }[]
}

const MIN_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 1000

/** Network trouble and timeouts: worth retrying after a pause. */
function isRetriable(err: unknown): boolean {
  return isTributaryError(err, ErrorCode.NETWORK_ERROR) || isTributaryError(err, ErrorCode.TIMEOUT)
}

export class KafkaConsumer implements Consumer {
  readonly #options: ConsumerOptions
  readonly #wire: Wire
  readonly #fetchWire: Wire
  readonly #onClose: (c: KafkaConsumer) => void
  readonly #partitions: PartitionPositions
  readonly #closing = new AbortController()
  readonly #isolation: 0 | 1
  #mode: ConsumerMode = 'none'
  #membership: WireGroupMembership | undefined
  readonly #iteration = new IterationState()
  #lastAutoCommit = Date.now()
  #rotate = 0
  #closed = false

  constructor(connection: KafkaClientOptions, options: ConsumerOptions, onClose: (c: KafkaConsumer) => void) {
    this.#options = options
    this.#onClose = onClose
    this.#isolation = options.isolationLevel === 'read_committed' ? 1 : 0
    const named = options.clientId === undefined ? connection : { ...connection, clientId: options.clientId }
    // A JoinGroup is held by the coordinator up to the rebalance timeout: the request may wait that long.
    const joinWait = (options.rebalanceTimeoutMs ?? 300_000) + 5000
    this.#wire = new Wire(new Base(libraryOptions({ ...named, requestTimeoutMs: Math.max(named.requestTimeoutMs ?? 30_000, joinWait) }, 'consumer')))
    this.#fetchWire = new Wire(new Base(libraryOptions(named, 'consumer')))
    this.#partitions = new PartitionPositions(
      {
        fetchCommitted: (groupId, partitions) => fetchCommitted(this.#wire, groupId, partitions),
        listOffset: async (tp, target) => (await listOffset(this.#wire, tp, target, this.#isolation)).offset,
      },
      options,
    )
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    this.#checkOpen()
    const groupId = checkSubscribe(this.#options, this.#mode, topics)
    this.#mode = 'subscribe'
    this.#membership ??= wireGroupMembership(
      this.#wire,
      systemClock,
      membershipOptions(this.#options, groupId),
      membershipHost(this.#rebalanceParts()),
      this.#closing.signal,
    )
    this.#membership.setTopics(topics)
    await this.#membership.ensureActive()
  }

  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.#checkOpen()
    checkAssign(this.#mode)
    for (const tp of partitions) await this.#wire.checkPartition(tp.topic, tp.partition)
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
    return { [Symbol.asyncIterator]: () => this.#iterate(options.signal) }
  }

  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.#checkOpen()
    await this.#commitEntries(commitEntries(offsets, this.#partitions))
  }

  async committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return fetchCommitted(this.#wire, requireGroup(this.#options, 'committed()'), partitions)
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
        // With the broker out of reach the positions are not committed: the group re-reads them (at least once).
        await this.#commitEntries(this.#partitions.changedPositions()).catch((err: unknown) => {
          if (!isRebalanceError(err) && !isRetriable(err)) throw err
        })
      }
      if (membership !== undefined) {
        const owned = this.assignment()
        if (owned.length > 0) await this.#options.rebalanceListener?.onPartitionsRevoked?.(owned)
      }
    } finally {
      try {
        await this.#membership?.leave()
      } finally {
        this.#partitions.clear()
        this.#onClose(this)
        await Promise.allSettled([this.#wire.close(), this.#fetchWire.close()])
      }
    }
  }

  // ---- iteration ----

  async *#iterate(signal: AbortSignal | undefined): AsyncGenerator<ConsumerBatch> {
    if (this.#iteration.iterating) throw new TributaryError(ErrorCode.ILLEGAL_STATE, 'batches() is already being iterated')
    this.#iteration.iterating = true
    let backoff = 0
    try {
      while (!this.#stopped(signal)) {
        let results: ConsumerBatchOrError[] | undefined
        try {
          results = await this.#nextFetch(signal)
          backoff = 0
        } catch (err) {
          // close() shuts the connections down under a request in flight: that just ends iteration.
          if (this.#stopped(signal)) break
          if (!isRetriable(err)) throw err
          // A broker restarting or a connection lost: look the cluster up again and retry, as Kafka consumers do.
          this.#forgetLayouts()
          backoff = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, backoff * 2))
          await systemClock.sleep(backoff, this.#closing.signal).catch(() => undefined)
          continue
        }
        if (results === undefined) continue
        for (const r of results) {
          const state = this.#partitions.get(r.topic, r.partition)
          // Dropped when the partition was revoked, paused or moved by seek since the fetch began.
          if (state === undefined || state.paused || state.position !== r.requested) continue
          if (r.error !== undefined) {
            try {
              await this.#fetchError(state, r.error)
            } catch (err) {
              if (this.#stopped(signal)) return
              throw err
            }
            continue
          }
          const batch = r.batch
          if (batch === undefined || batch.nextOffset <= state.position) continue
          state.position = batch.nextOffset
          if (batch.records.length === 0) continue
          yield batch
          if (this.#stopped(signal) || this.#membership?.needsJoin === true) break
        }
      }
    } finally {
      this.#iteration.iterating = false
    }
  }

  /** Auto-commit, rejoin when asked, then one fetch; undefined when there was nothing to read or it was woken. */
  async #nextFetch(signal: AbortSignal | undefined): Promise<ConsumerBatchOrError[] | undefined> {
    this.#iteration.throwBackgroundError()
    await this.#maybeAutoCommit()
    const membership = this.#membership
    if (membership?.needsJoin === true) {
      await raceAbort(membership.ensureActive(), signal)
      return undefined
    }
    const requests = await this.#fetchRequests()
    const wake = this.#iteration.arm()
    const waitSignal = AbortSignal.any(signal === undefined ? [wake.signal, this.#closing.signal] : [wake.signal, this.#closing.signal, signal])
    try {
      if (requests === undefined) {
        await systemClock.sleep(this.#options.maxWaitMs ?? 500, waitSignal).catch(() => undefined)
        return undefined
      }
      return await this.#fetch(requests, waitSignal)
    } finally {
      this.#iteration.disarm(wake)
    }
  }

  /** The unpaused partitions of one leader (leaders take turns), or undefined when there is nothing to fetch. */
  async #fetchRequests(): Promise<{ leader: number; partitions: FetchRequest[] } | undefined> {
    const byLeader = new Map<number, FetchRequest[]>()
    for (const s of this.#partitions.values()) {
      if (s.paused) continue
      if (s.position < 0) {
        throw new TributaryError(ErrorCode.OFFSET_OUT_OF_RANGE, `no committed offset for ${s.topic}/${s.partition} and autoOffsetReset is 'none'`)
      }
      let leaders: number[]
      try {
        leaders = (await this.#fetchWire.layout(s.topic)).leaders
      } catch (err) {
        // A group member whose topic went away waits for the leader's next assignment without it.
        if (!isTributaryError(err, ErrorCode.UNKNOWN_TOPIC) || this.#membership === undefined) throw err
        this.#wire.forget(s.topic)
        this.#membership.requestRejoin()
        continue
      }
      const leader = leaders[s.partition] ?? -1
      const list = byLeader.get(leader) ?? []
      list.push({ topic: s.topic, partition: s.partition, offset: s.position })
      byLeader.set(leader, list)
    }
    if (byLeader.size === 0) return undefined
    const leaders = [...byLeader.keys()].sort((a, b) => a - b)
    const leader = leaders[this.#rotate++ % leaders.length] as number
    const partitions = byLeader.get(leader) as FetchRequest[]
    // Rotating the order keeps one busy partition from filling every response.
    const shift = this.#rotate % partitions.length
    return { leader, partitions: partitions.slice(shift).concat(partitions.slice(0, shift)) }
  }

  /** One Fetch to one leader; undefined when woken (seek, resume, close) before it answered. */
  async #fetch(request: { leader: number; partitions: FetchRequest[] }, signal: AbortSignal): Promise<ConsumerBatchOrError[] | undefined> {
    const api = await this.#fetchWire.api('Fetch')
    // Fetch v13+ names topics by id, older versions by name.
    const byId = api.version >= 13
    const topics = new Map<string, { topicId: string; partitions: unknown[] }>()
    const names = new Map<string, string>()
    for (const p of request.partitions) {
      const id = byId ? (await this.#fetchWire.layout(p.topic)).id : p.topic
      names.set(id, p.topic)
      let t = topics.get(id)
      if (t === undefined) {
        t = { topicId: id, partitions: [] }
        topics.set(id, t)
      }
      t.partitions.push({
        partition: p.partition,
        currentLeaderEpoch: -1,
        fetchOffset: BigInt(p.offset),
        lastFetchedEpoch: -1,
        partitionMaxBytes: this.#options.maxPartitionBytes ?? 1024 * 1024,
      })
    }
    const connection = await this.#fetchWire.node(request.leader)
    const pending = this.#fetchWire.requestPartial<FetchResponse>(
      'Fetch',
      connection,
      this.#options.maxWaitMs ?? 500,
      this.#options.minBytes ?? 1,
      this.#options.maxBytes ?? 50 * 1024 * 1024,
      this.#isolation,
      0,
      // Session epoch -1: a plain full fetch, no incremental fetch session.
      -1,
      [...topics.values()],
      [],
      '',
    )
    // A fetch abandoned by a wake-up may still fail later (e.g. when the consumer closes).
    pending.catch(() => undefined)
    let response: FetchResponse | undefined
    try {
      response = await raceValue(pending, signal)
    } catch (err) {
      if (signal.aborted) return undefined
      throw fromKafka(err, 'fetch')
    }
    if (response === undefined) return undefined
    const requested = new Map(request.partitions.map((p) => [partitionKey(p.topic, p.partition), p.offset]))
    const out: ConsumerBatchOrError[] = []
    for (const t of response.responses) {
      const topic = names.get(t.topicId) ?? t.topicId
      for (const p of t.partitions) {
        const offset = requested.get(partitionKey(topic, p.partitionIndex))
        if (offset === undefined) continue
        if (p.errorCode !== 0) {
          out.push({ topic, partition: p.partitionIndex, requested: offset, error: p.errorCode })
          continue
        }
        const batches = p.records ?? []
        if (batches.length === 0) continue
        const aborted = this.#isolation === 1 ? (p.abortedTransactions ?? []) : undefined
        const batch = toConsumerBatch(topic, p.partitionIndex, batches, offset, Number(p.highWatermark), aborted)
        out.push({ topic, partition: p.partitionIndex, requested: offset, batch })
      }
    }
    return out
  }

  async #fetchError(state: PartitionState, code: number): Promise<void> {
    const name = errorName(code)
    if (name === 'OFFSET_OUT_OF_RANGE') {
      const policy = this.#options.autoOffsetReset ?? 'latest'
      if (policy === 'none') throw new TributaryError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${state.position} is out of range for ${state.topic}/${state.partition}`)
      state.position = (await listOffset(this.#wire, state, policy, this.#isolation)).offset
      return
    }
    if (name === 'NOT_LEADER_OR_FOLLOWER' || name === 'LEADER_NOT_AVAILABLE' || name === 'FENCED_LEADER_EPOCH' || name === 'UNKNOWN_LEADER_EPOCH') {
      this.#fetchWire.forget(state.topic)
      return
    }
    if ((name === 'UNKNOWN_TOPIC_OR_PARTITION' || name === 'UNKNOWN_TOPIC_ID') && this.#membership !== undefined) {
      // The topic went away: the leader's next assignment will no longer include it.
      this.#fetchWire.forget(state.topic)
      this.#wire.forget(state.topic)
      this.#membership.requestRejoin()
      return
    }
    throw kafkaError(name, `fetch of ${state.topic}/${state.partition}`)
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

  async #commitEntries(entries: TopicPartitionOffset[]): Promise<void> {
    const groupId = requireGroup(this.#options, 'commit()')
    if (entries.length === 0) return
    const m = this.#membership
    const inGroup = m !== undefined && m.active
    await commitOffsets(this.#wire, groupId, inGroup ? m.generationId : -1, inGroup ? m.memberId : '', entries)
    this.#partitions.markCommitted(entries)
  }

  async #maybeAutoCommit(): Promise<void> {
    if (this.#options.autoCommit !== true || this.#options.groupId === undefined) return
    const now = Date.now()
    if (now - this.#lastAutoCommit < (this.#options.autoCommitIntervalMs ?? 5000)) return
    this.#lastAutoCommit = now
    await this.#commitEntries(this.#partitions.changedPositions()).catch((err: unknown) => {
      // The next interval commits again; the positions are not lost.
      if (!isRebalanceError(err) && !isRetriable(err)) throw err
    })
  }

  // ---- helpers ----

  #forgetLayouts(): void {
    for (const s of this.#partitions.values()) {
      this.#fetchWire.forget(s.topic)
      this.#wire.forget(s.topic)
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new TributaryError(ErrorCode.CLOSED, 'consumer is closed')
  }

  #stopped(signal: AbortSignal | undefined): boolean {
    return this.#closed || signal?.aborted === true
  }
}

interface ConsumerBatchOrError {
  topic: string
  partition: number
  /** The position the fetch was made from. */
  requested: number
  batch?: ConsumerBatch
  error?: number
}
