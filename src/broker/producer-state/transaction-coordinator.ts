/**
 * @module The transaction coordinator (classic, pre-KIP-890 protocol): transactional ids to producer
 * ids and epochs, the partitions and groups of each open transaction, and its end. EndTxn records
 * PrepareCommit/PrepareAbort durably, writes a COMMIT or ABORT marker to every partition of the
 * transaction, applies (or drops) the offsets staged by TxnOffsetCommit, then records the end. A
 * restart finishes what was prepared and lets open transactions time out. InitProducerId bumps the
 * epoch, which fences older producers, and aborts what the previous one left open; so does the
 * transaction timeout. Requests of one transactional id run one at a time.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Clock, type TimerHandle } from '../../util/clock.ts'
import { ControlRecordType, encodeControlBatch } from '../../protocol/records/control-record.ts'
import { type OffsetCommitEntry, type TopicPartition } from '../types.ts'
import { type PartitionRuntime } from '../topic-manager.ts'
import { type ProducerIdAllocator } from './producer-id-allocator.ts'
import { type ProducerStateManager } from './producer-state-manager.ts'
import { type TransactionLog, type TxnRecord } from './transaction-log.ts'

/** Kafka's transaction.max.timeout.ms default. */
export const MAX_TRANSACTION_TIMEOUT_MS = 15 * 60 * 1000
/** Epochs are int16; Kafka moves to a new producer id before the last one. */
const MAX_EPOCH = 32766

/** What the coordinator needs from the group coordinator. */
export interface TransactionalOffsets {
  /** Throws unless the member is in the group's current generation (TxnOffsetCommit v3 checks this). */
  checkMember(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): Promise<void>
  /** Applies a committed transaction's offsets, whatever the group's generation is by then. */
  commit(groupId: string, offsets: readonly OffsetCommitEntry[]): Promise<void>
}

export interface TransactionCoordinatorDeps {
  clock: Clock
  log: TransactionLog
  producerIds: ProducerIdAllocator
  producers: ProducerStateManager
  partition(topic: string, partition: number): PartitionRuntime
  offsets: TransactionalOffsets
  maxTimeoutMs?: number
}

export interface InitProducerIdRequest {
  transactionalId: string | null
  transactionTimeoutMs: number
  /** v3+: the producer's current id and epoch, or -1. */
  producerId: number
  producerEpoch: number
}

interface StagedOffset {
  offset: number
  metadata: string | null
}

interface Txn {
  id: string
  record: TxnRecord
  partitions: Map<string, TopicPartition>
  groups: Set<string>
  staged: Map<string, Map<string, { topic: string; partition: number } & StagedOffset>>
  timer: TimerHandle | undefined
  tail: Promise<unknown>
}

function fail(code: ErrorCode, message: string): never {
  throw new TributaryError(code, message)
}

const tpKey = (topic: string, partition: number): string => `${partition}:${topic}`

export class TransactionCoordinator {
  readonly #deps: TransactionCoordinatorDeps
  readonly #maxTimeoutMs: number
  readonly #txns = new Map<string, Txn>()
  /** Producer id → its transactional id, for checking transactional produce. */
  readonly #byProducer = new Map<number, Txn>()
  #closed = false

  constructor(deps: TransactionCoordinatorDeps) {
    this.#deps = deps
    this.#maxTimeoutMs = deps.maxTimeoutMs ?? MAX_TRANSACTION_TIMEOUT_MS
    deps.producers.setTransactionGuard((pid, epoch, topic, partition) => this.#checkProduce(pid, epoch, topic, partition))
  }

  /** Loads the durable state, finishes prepared transactions and re-arms the timeouts of open ones. */
  async recover(): Promise<void> {
    for (const [id, record] of await this.#deps.log.load()) {
      const txn = this.#adopt(id, record)
      for (const [topic, partition] of record.partitions) txn.partitions.set(tpKey(topic, partition), { topic, partition })
      for (const g of record.groups) txn.groups.add(g)
      for (const [group, entries] of Object.entries(record.offsets)) {
        const m = new Map<string, { topic: string; partition: number } & StagedOffset>()
        for (const [topic, partition, offset, metadata] of entries) m.set(tpKey(topic, partition), { topic, partition, offset, metadata })
        txn.staged.set(group, m)
      }
    }
    for (const txn of this.#txns.values()) {
      const state = txn.record.state
      if (state === 'PrepareCommit' || state === 'PrepareAbort') await this.#complete(txn, state === 'PrepareCommit', txn.record.producerEpoch)
      else if (state === 'Ongoing') this.#armTimeout(txn, txn.record.startedAt + txn.record.timeoutMs - this.#deps.clock.now())
    }
  }

  // ---- requests ----

  async initProducerId(req: InitProducerIdRequest): Promise<{ producerId: number; producerEpoch: number }> {
    this.#checkOpen()
    if (req.transactionalId === null || req.transactionalId === '') {
      // Idempotent only: a fresh producer id each time (Kafka does the same).
      return { producerId: await this.#deps.producerIds.allocate(), producerEpoch: 0 }
    }
    const timeoutMs = req.transactionTimeoutMs
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > this.#maxTimeoutMs) {
      fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT, `transaction timeout ${timeoutMs} ms is outside [1, ${this.#maxTimeoutMs}]`)
    }
    const id = req.transactionalId
    let txn = this.#txns.get(id)
    if (txn === undefined) {
      const producerId = await this.#deps.producerIds.allocate()
      txn = this.#txns.get(id) ?? this.#adopt(id, emptyRecord(producerId, -1, timeoutMs))
    }
    const t = txn
    return this.#serial(t, async () => {
      const r = t.record
      if (req.producerId >= 0 && r.producerEpoch >= 0) {
        // KIP-360: a producer recovering its own id; a stale one is fenced.
        if (req.producerId !== r.producerId) fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `producer id ${req.producerId} does not belong to '${id}'`)
        if (req.producerEpoch !== r.producerEpoch && req.producerEpoch !== r.lastEpoch) fail(ErrorCode.PRODUCER_FENCED, `epoch ${req.producerEpoch} of '${id}' has been fenced`)
      }
      if (r.state === 'Ongoing' || r.state === 'PrepareAbort') await this.#complete(t, false, this.#bumped(r.producerEpoch))
      else if (r.state === 'PrepareCommit') await this.#complete(t, true, r.producerEpoch)
      let producerId = r.producerId
      let epoch = t.record.producerEpoch + 1
      // The abort above already bumped the epoch: the new producer takes that one.
      if (t.record.producerEpoch > r.producerEpoch) epoch = t.record.producerEpoch
      if (epoch > MAX_EPOCH) {
        this.#byProducer.delete(producerId)
        producerId = await this.#deps.producerIds.allocate()
        epoch = 0
      }
      t.record = { ...emptyRecord(producerId, epoch, timeoutMs), lastEpoch: -1 }
      this.#byProducer.set(producerId, t)
      await this.#deps.log.write(id, t.record)
      return { producerId, producerEpoch: epoch }
    })
  }

  /** AddPartitionsToTxn: an error for each partition, or none at all (then all were added). */
  async addPartitions(id: string, producerId: number, epoch: number, partitions: readonly TopicPartition[]): Promise<Map<string, ErrorCode>> {
    const txn = this.#lookup(id)
    return this.#serial(txn, async () => {
      this.#checkCurrent(txn, producerId, epoch)
      const errors = new Map<string, ErrorCode>()
      for (const tp of partitions) {
        try {
          this.#deps.partition(tp.topic, tp.partition)
        } catch (e) {
          errors.set(tpKey(tp.topic, tp.partition), e instanceof TributaryError ? e.code : ErrorCode.UNKNOWN_PARTITION)
        }
      }
      if (errors.size > 0) return errors
      const added = partitions.filter((tp) => !txn.partitions.has(tpKey(tp.topic, tp.partition)))
      if (added.length === 0 && txn.record.state === 'Ongoing') return errors
      for (const tp of added) txn.partitions.set(tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition })
      await this.#begin(txn)
      return errors
    })
  }

  async addOffsets(id: string, producerId: number, epoch: number, groupId: string): Promise<void> {
    const txn = this.#lookup(id)
    await this.#serial(txn, async () => {
      this.#checkCurrent(txn, producerId, epoch)
      if (groupId === '') fail(ErrorCode.INVALID_GROUP_ID, 'group id must not be empty')
      if (txn.groups.has(groupId) && txn.record.state === 'Ongoing') return
      txn.groups.add(groupId)
      await this.#begin(txn)
    })
  }

  /** TxnOffsetCommit: stages offsets until the transaction ends. Throws for the whole request. */
  async stageOffsets(req: {
    transactionalId: string
    groupId: string
    producerId: number
    producerEpoch: number
    generationId: number
    memberId: string
    groupInstanceId: string | null
    offsets: readonly OffsetCommitEntry[]
  }): Promise<void> {
    const txn = this.#lookup(req.transactionalId)
    await this.#serial(txn, async () => {
      this.#checkCurrent(txn, req.producerId, req.producerEpoch)
      if (txn.record.state !== 'Ongoing' || !txn.groups.has(req.groupId)) {
        fail(ErrorCode.INVALID_TXN_STATE, `group '${req.groupId}' was not added to the transaction of '${req.transactionalId}'`)
      }
      if (req.generationId >= 0) await this.#deps.offsets.checkMember(req.groupId, req.generationId, req.memberId, req.groupInstanceId)
      let staged = txn.staged.get(req.groupId)
      if (staged === undefined) txn.staged.set(req.groupId, (staged = new Map()))
      for (const o of req.offsets) staged.set(tpKey(o.topic, o.partition), { topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? null })
    })
  }

  async endTxn(id: string, producerId: number, epoch: number, commit: boolean): Promise<void> {
    const txn = this.#lookup(id)
    await this.#serial(txn, async () => {
      this.#checkCurrent(txn, producerId, epoch)
      const state = txn.record.state
      if (state === 'Ongoing') await this.#complete(txn, commit, txn.record.producerEpoch)
      else if (state === 'PrepareCommit' || state === 'PrepareAbort') {
        // A previous end failed half-way (a disk error): finish it if the client asks for the same.
        if ((state === 'PrepareCommit') !== commit) fail(ErrorCode.INVALID_TXN_STATE, `the transaction of '${id}' is already being ${commit ? 'aborted' : 'committed'}`)
        await this.#complete(txn, commit, txn.record.producerEpoch)
      }
      // Empty: nothing was sent in this transaction, so there is nothing to end.
    })
  }

  // ---- views for fetch and offset fetch ----

  hasPendingOffsets(groupId: string, topic: string, partition: number): boolean {
    for (const txn of this.#txns.values()) if (txn.staged.get(groupId)?.has(tpKey(topic, partition)) === true) return true
    return false
  }

  close(): void {
    this.#closed = true
    for (const txn of this.#txns.values()) txn.timer?.cancel()
  }

  // ---- internals ----

  #adopt(id: string, record: TxnRecord): Txn {
    const txn: Txn = { id, record, partitions: new Map(), groups: new Set(), staged: new Map(), timer: undefined, tail: Promise.resolve() }
    this.#txns.set(id, txn)
    if (record.producerEpoch >= 0) this.#byProducer.set(record.producerId, txn)
    return txn
  }

  #serial<T>(txn: Txn, fn: () => Promise<T>): Promise<T> {
    const run = txn.tail.then(() => {
      this.#checkOpen()
      return fn()
    })
    txn.tail = run.catch(() => undefined)
    return run
  }

  #checkOpen(): void {
    if (this.#closed) fail(ErrorCode.CLOSED, 'the transaction coordinator is closed')
  }

  /** The transaction of `id`; its producer id and epoch are checked once the request's turn comes. */
  #lookup(id: string): Txn {
    this.#checkOpen()
    const txn = this.#txns.get(id)
    if (txn === undefined) fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `transactional id '${id}' has no producer id (call InitProducerId first)`)
    return txn
  }

  #checkCurrent(txn: Txn, producerId: number, epoch: number): void {
    const r = txn.record
    if (producerId !== r.producerId) fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `producer id ${producerId} does not belong to '${txn.id}'`)
    if (epoch < r.producerEpoch) fail(ErrorCode.PRODUCER_FENCED, `epoch ${epoch} of '${txn.id}' has been fenced by epoch ${r.producerEpoch}`)
    if (epoch > r.producerEpoch) fail(ErrorCode.INVALID_PRODUCER_EPOCH, `epoch ${epoch} of '${txn.id}' is newer than the current ${r.producerEpoch}`)
  }

  #checkProduce(producerId: number, epoch: number, topic: string, partition: number): void {
    const txn = this.#byProducer.get(producerId)
    if (txn === undefined || txn.record.producerId !== producerId) fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `producer ${producerId} has no transactional id`)
    if (epoch !== txn.record.producerEpoch) fail(ErrorCode.INVALID_PRODUCER_EPOCH, `producer ${producerId} epoch ${epoch} is not the current epoch ${txn.record.producerEpoch}`)
    if (txn.record.state !== 'Ongoing' || !txn.partitions.has(tpKey(topic, partition))) {
      fail(ErrorCode.INVALID_TXN_STATE, `${topic}-${partition} was not added to the transaction of '${txn.id}'`)
    }
  }

  #bumped(epoch: number): number {
    return Math.min(epoch + 1, MAX_EPOCH + 1)
  }

  /** Empty → Ongoing (or a new partition/group while Ongoing): durable before the client hears back. */
  async #begin(txn: Txn): Promise<void> {
    const starting = txn.record.state !== 'Ongoing'
    const startedAt = starting ? this.#deps.clock.now() : txn.record.startedAt
    txn.record = { ...txn.record, state: 'Ongoing', startedAt, partitions: [...txn.partitions.values()].map((tp) => [tp.topic, tp.partition]), groups: [...txn.groups] }
    await this.#deps.log.write(txn.id, txn.record)
    if (starting) this.#armTimeout(txn, txn.record.timeoutMs)
  }

  #armTimeout(txn: Txn, ms: number): void {
    txn.timer?.cancel()
    const epoch = txn.record.producerEpoch
    txn.timer = this.#deps.clock.setTimeout(() => {
      txn.timer = undefined
      if (this.#closed) return
      void this.#serial(txn, async () => {
        if (txn.record.state !== 'Ongoing' || txn.record.producerEpoch !== epoch) return
        // Abort with a bumped epoch: the producer that let it time out is fenced from now on.
        await this.#complete(txn, false, this.#bumped(epoch))
        txn.record = { ...txn.record, lastEpoch: epoch }
        await this.#deps.log.write(txn.id, txn.record)
      }).catch(() => undefined) // the broker is closing: the next start finishes the abort
    }, Math.max(0, ms))
  }

  /** Prepare (durable), markers on every partition, offsets, then Empty (durable). */
  async #complete(txn: Txn, commit: boolean, markerEpoch: number): Promise<void> {
    txn.timer?.cancel()
    txn.timer = undefined
    const offsets: TxnRecord['offsets'] = {}
    if (commit) {
      for (const [group, m] of txn.staged) offsets[group] = [...m.values()].map((o) => [o.topic, o.partition, o.offset, o.metadata])
    }
    txn.record = {
      ...txn.record,
      state: commit ? 'PrepareCommit' : 'PrepareAbort',
      producerEpoch: markerEpoch,
      partitions: [...txn.partitions.values()].map((tp) => [tp.topic, tp.partition]),
      groups: [...txn.groups],
      offsets,
    }
    await this.#deps.log.write(txn.id, txn.record)
    const type = commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT
    const now = this.#deps.clock.now()
    const writes: Promise<unknown>[] = []
    for (const tp of txn.partitions.values()) {
      let p: PartitionRuntime
      try {
        p = this.#deps.partition(tp.topic, tp.partition)
      } catch {
        continue // deleted since: nothing left to mark
      }
      const marker = encodeControlBatch({ type, coordinatorEpoch: 0, producerId: txn.record.producerId, producerEpoch: markerEpoch, timestamp: now })
      writes.push(this.#deps.producers.appendMarker(p, marker, type))
    }
    await Promise.all(writes)
    if (commit) {
      for (const [group, entries] of Object.entries(offsets)) {
        await this.#deps.offsets.commit(group, entries.map(([topic, partition, offset, metadata]) => ({ topic, partition, offset, metadata })))
      }
    }
    txn.partitions.clear()
    txn.groups.clear()
    txn.staged.clear()
    txn.record = { ...txn.record, state: 'Empty', startedAt: -1, partitions: [], groups: [], offsets: {} }
    await this.#deps.log.write(txn.id, txn.record)
  }
}

function emptyRecord(producerId: number, producerEpoch: number, timeoutMs: number): TxnRecord {
  return { producerId, producerEpoch, lastEpoch: -1, timeoutMs, state: 'Empty', startedAt: -1, partitions: [], groups: [], offsets: {} }
}
