/**
 * @module The produce path's idempotence and transaction bookkeeping. Every append of the broker
 * goes through `append`: batches without a producer id go straight to the log; sequenced batches
 * are checked first (duplicate → the original offsets, nothing appended; gap or stale epoch → an
 * error, nothing appended) and recorded at the moment the log takes them, which is synchronous,
 * so pipelined batches see each other in order. A partition's state is built on first use from
 * the snapshot of the last clean shutdown (if any) and a scan of the batch headers after it.
 */
import fs from 'node:fs'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Clock } from '../../util/clock.ts'
import { BATCH_OVERHEAD, BatchOffsets, LOG_OVERHEAD, checkBatch, isControlBatch, isTransactionalBatch } from '../../protocol/records/batch-header.ts'
import { decodeRecordBatch } from '../../protocol/records/record-batch.ts'
import { parseControlRecordKey } from '../../protocol/records/control-record.ts'
import { type AppendResult } from '../../log/types.ts'
import { type PartitionRuntime } from '../topic-manager.ts'
import { type TopicPartition } from '../types.ts'
import { type BatchInfo, PartitionProducerState, addSequence } from './partition-state.ts'
import { readSnapshot, writeSnapshot } from './state-snapshot.ts'

/** How much of a log a rebuild reads at a time. */
const SCAN_CHUNK_BYTES = 1024 * 1024
/** Sequenced appends to a partition between two sweeps of its idle producers. */
const SWEEP_EVERY = 1024

/** Checks that a transactional batch belongs to an open transaction that added this partition. */
export type TransactionGuard = (producerId: number, producerEpoch: number, topic: string, partition: number) => void

export interface ProducerStateDeps {
  clock: Clock
  /** The open partition (UNKNOWN_TOPIC / UNKNOWN_PARTITION otherwise). */
  partition(topic: string, partition: number): PartitionRuntime
  /** Topics only the broker writes (the transaction state). */
  internalTopics: ReadonlySet<string>
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4)
}

function infoAt(buf: Buffer, pos: number): BatchInfo {
  return {
    producerId: readInt64(buf, pos + BatchOffsets.producerId),
    producerEpoch: buf.readInt16BE(pos + BatchOffsets.producerEpoch),
    baseSequence: buf.readInt32BE(pos + BatchOffsets.baseSequence),
    lastOffsetDelta: buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta),
    transactional: isTransactionalBatch(buf.readInt16BE(pos + BatchOffsets.attributes)),
  }
}

export class ProducerStateManager {
  readonly #deps: ProducerStateDeps
  readonly #states = new Map<PartitionRuntime, PartitionProducerState>()
  #guard: TransactionGuard | undefined

  constructor(deps: ProducerStateDeps) {
    this.#deps = deps
  }

  /** Installed by the transaction coordinator. */
  setTransactionGuard(guard: TransactionGuard): void {
    this.#guard = guard
  }

  /** The state of a partition, built from its log on first use. */
  stateOf(p: PartitionRuntime): PartitionProducerState {
    let s = this.#states.get(p)
    if (s === undefined) {
      // Partitions of deleted topics are closed: their state goes with them.
      for (const old of this.#states.keys()) if (old.closed) this.#states.delete(old)
      s = rebuild(p, this.#deps.clock.now())
      this.#states.set(p, s)
    }
    return s
  }

  /**
   * Writes a snapshot of every partition state built since the start, once the logs are closed
   * cleanly. Partitions never touched keep the snapshot they had, which still covers their start.
   */
  async snapshot(): Promise<void> {
    const writes: Promise<void>[] = []
    for (const [p, state] of this.#states) {
      // A deleted topic's directory is gone; its state is not needed.
      if (fs.existsSync(p.dir)) writes.push(writeSnapshot(p.dir, state, p.log.logEndOffset))
    }
    await Promise.all(writes)
  }

  /**
   * Appends produced batches to `p`: the only way client data reaches a log. Throws (rejects) with
   * nothing appended on any error; resolves as the log's append does.
   */
  append(p: PartitionRuntime, batches: Buffer): Promise<AppendResult> {
    if (this.#deps.internalTopics.has(p.topic)) {
      return Promise.reject(new TributaryError(ErrorCode.INVALID_TOPIC_NAME, `'${p.topic}' is written only by the broker`))
    }
    // A header walk only: the log checks framing and CRCs of what it takes, so plain batches pay
    // for that once. Anything the walk cannot follow is the log's to report, with its messages.
    const sequenced: { pos: number; info: BatchInfo }[] = []
    for (let pos = 0; pos < batches.length; ) {
      if (batches.length - pos < BATCH_OVERHEAD) return p.log.append(batches)
      const size = batches.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
      if (size < BATCH_OVERHEAD || pos + size > batches.length) return p.log.append(batches)
      const info = infoAt(batches, pos)
      if (info.transactional && info.producerId < 0) {
        return Promise.reject(new TributaryError(ErrorCode.INVALID_RECORD, `batch at byte ${pos} is transactional without a producer id`))
      }
      if (info.producerId >= 0 && !isControlBatch(batches.readInt16BE(pos + BatchOffsets.attributes))) sequenced.push({ pos, info })
      pos += size
    }
    if (sequenced.length === 0) return p.log.append(batches)
    // Sequence checks must not read a damaged header: sequenced batches are checked in full first.
    for (let pos = 0; pos < batches.length; ) {
      const check = checkBatch(batches, pos, batches.length)
      if (check.kind !== 'ok') return p.log.append(batches)
      pos += check.sizeInBytes
    }
    try {
      return this.#appendSequenced(p, batches, sequenced)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  #appendSequenced(p: PartitionRuntime, batches: Buffer, sequenced: { pos: number; info: BatchInfo }[]): Promise<AppendResult> {
    // Whether the producer may write here at all comes before its sequence numbers.
    for (const { info } of sequenced) {
      if (!info.transactional) continue
      if (this.#guard === undefined) throw new TributaryError(ErrorCode.INVALID_TXN_STATE, 'transactions are not available')
      this.#guard(info.producerId, info.producerEpoch, p.topic, p.index)
    }
    const state = this.stateOf(p)
    const first = sequenced[0] as { pos: number; info: BatchInfo }
    const checked = state.check(first.info)
    if (checked.kind === 'duplicate') {
      if (sequenced.length > 1 || batches.length !== batches.readInt32BE(BatchOffsets.batchLength) + LOG_OVERHEAD) {
        throw new TributaryError(ErrorCode.DUPLICATE_SEQUENCE, `a request repeating producer ${first.info.producerId}'s sequence ${first.info.baseSequence} must hold that batch alone`)
      }
      const dup = checked.batch
      const log = p.log
      // The original may still be on its way to disk: answer once it is durable, as it would have been.
      return log.flush().then(() => ({ baseOffset: dup.firstOffset, lastOffset: dup.lastOffset, logAppendTime: -1, logStartOffset: log.logStartOffset }))
    }
    // Further batches of one request must continue the first one's sequence.
    for (let i = 1; i < sequenced.length; i++) {
      const prev = (sequenced[i - 1] as { info: BatchInfo }).info
      const cur = (sequenced[i] as { info: BatchInfo }).info
      if (cur.producerId === prev.producerId && (cur.producerEpoch !== prev.producerEpoch || cur.baseSequence !== addSequence(prev.baseSequence, prev.lastOffsetDelta + 1))) {
        throw new TributaryError(ErrorCode.OUT_OF_ORDER_SEQUENCE, `batches of producer ${cur.producerId} in one request are not consecutive`)
      }
      if (cur.producerId !== prev.producerId) state.check(cur)
    }
    const log = p.log
    const before = log.logEndOffset
    const appended = log.append(batches)
    // The log assigns offsets and writes synchronously; record exactly what it took.
    if (log.logEndOffset !== before) {
      const now = this.#deps.clock.now()
      let offset = before
      let seq = 0
      for (let pos = 0; pos < batches.length; ) {
        const size = batches.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
        const entry = sequenced[seq]
        if (entry !== undefined && entry.pos === pos) {
          state.applyBatch(entry.info, offset, now)
          seq++
        }
        offset += batches.readInt32BE(pos + BatchOffsets.lastOffsetDelta) + 1
        pos += size
      }
      if (++state.sinceSweep >= SWEEP_EVERY) {
        state.sinceSweep = 0
        state.expire(now)
      }
    }
    return appended
  }

  /** Appends a transaction marker (control batch) the coordinator built, and records it. */
  appendMarker(p: PartitionRuntime, marker: Buffer, type: number): Promise<AppendResult> {
    const state = this.stateOf(p)
    const log = p.log
    const offset = log.logEndOffset
    const appended = log.append(marker, { allowControl: true })
    if (log.logEndOffset !== offset) {
      state.applyMarker(readInt64(marker, BatchOffsets.producerId), marker.readInt16BE(BatchOffsets.producerEpoch), type, offset, this.#deps.clock.now())
    }
    return appended
  }

  lastStableOffset(topic: string, partition: number, highWatermark: number): number {
    const p = this.#find(topic, partition)
    return p === undefined ? highWatermark : this.stateOf(p).lastStableOffset(Math.min(highWatermark, p.log.highWatermark))
  }

  abortedTransactions(topic: string, partition: number, from: number, to: number): { producerId: number; firstOffset: number }[] {
    const p = this.#find(topic, partition)
    if (p === undefined) return []
    return this.stateOf(p).abortedIn(from, to, p.log.logStartOffset).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }))
  }

  /** Resolves on the next append (high watermark move) of any of the partitions, after `ms`, or on abort. */
  waitForAppend(partitions: readonly TopicPartition[], ms: number, signal: AbortSignal): Promise<void> {
    if (ms <= 0 || signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const offs: (() => void)[] = []
      const done = (): void => {
        timer.cancel()
        for (const off of offs) off()
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = this.#deps.clock.setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
      for (const tp of partitions) {
        const p = this.#find(tp.topic, tp.partition)
        if (p !== undefined) offs.push(p.log.onAppend(done))
      }
    })
  }

  #find(topic: string, partition: number): PartitionRuntime | undefined {
    try {
      return this.#deps.partition(topic, partition)
    } catch {
      return undefined
    }
  }
}

/** Reads every batch header of the partition (and the key of each control record). */
function rebuild(p: PartitionRuntime, now: number): PartitionProducerState {
  const log = p.log
  const snap = readSnapshot(p.dir, log.logEndOffset, now)
  const state = snap?.state ?? new PartitionProducerState()
  let offset = Math.max(log.logStartOffset, snap?.offset ?? 0)
  while (offset < log.highWatermark) {
    const { records } = log.read(offset, SCAN_CHUNK_BYTES)
    let next = offset
    for (let pos = 0; pos + BATCH_OVERHEAD <= records.length; ) {
      const size = records.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
      if (size < BATCH_OVERHEAD || pos + size > records.length) break
      const base = readInt64(records, pos + BatchOffsets.baseOffset)
      const info = infoAt(records, pos)
      next = base + info.lastOffsetDelta + 1
      if (info.producerId >= 0 && next > offset) {
        if (isControlBatch(records.readInt16BE(pos + BatchOffsets.attributes))) {
          const key = decodeRecordBatch(records.subarray(pos, pos + size)).records[0]?.key ?? null
          state.applyMarker(info.producerId, info.producerEpoch, parseControlRecordKey(key).type, base, now)
        } else {
          state.applyBatch(info, base, now)
        }
      }
      pos += size
    }
    if (next <= offset) throw new TributaryError(ErrorCode.CORRUPT_LOG, `${p.topic}-${p.index} does not advance at offset ${offset} while its producer state is rebuilt`)
    offset = next
  }
  return state
}
