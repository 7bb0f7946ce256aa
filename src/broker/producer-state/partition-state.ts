/**
 * @module What one partition knows about its producers, read from batch headers only: per
 * producer id the epoch and the last five batches (sequences and offsets) for idempotence, the
 * open transactions, and the aborted ones for read_committed fetches. It is changed only by
 * batches that were appended (or found in the log when it is rebuilt), so it always agrees with
 * the log.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { ControlRecordType } from '../../protocol/records/control-record.ts'

/** Kafka keeps the last five batches per producer: a client has at most five in flight. */
export const MAX_CACHED_BATCHES = 5
/** Kafka's producer.id.expiration.ms: state of a producer idle this long is dropped. */
export const PRODUCER_EXPIRATION_MS = 24 * 3600 * 1000
const INT32_MAX = 0x7fffffff

export interface BatchInfo {
  producerId: number
  producerEpoch: number
  baseSequence: number
  /** Records in the batch minus one (also the last sequence delta). */
  lastOffsetDelta: number
  transactional: boolean
}

export interface CachedBatch {
  firstSeq: number
  lastSeq: number
  firstOffset: number
  lastOffset: number
}

export interface ProducerEntry {
  epoch: number
  /** When the producer last wrote here (clock ms): idle producers are forgotten after a while. */
  lastSeen: number
  /** Last sequence written in this epoch; -1 when the epoch has none yet. */
  lastSeq: number
  batches: CachedBatch[]
}

export interface AbortedTxn {
  producerId: number
  firstOffset: number
  /** Offset of the abort marker. */
  lastOffset: number
}

/** Sequences wrap from INT32_MAX to 0. */
export function addSequence(seq: number, delta: number): number {
  const next = seq + delta
  return next > INT32_MAX ? next - INT32_MAX - 1 : next
}

function fail(code: ErrorCode, message: string): never {
  throw new TributaryError(code, message)
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; batch: CachedBatch }

export class PartitionProducerState {
  readonly producers = new Map<number, ProducerEntry>()
  /** Open transactions: producer id to its first offset here. */
  readonly ongoing = new Map<number, number>()
  /** Ended transactions whose marker is not yet below the high watermark: they still bound the LSO. */
  completing: { firstOffset: number; markerOffset: number }[] = []
  aborted: AbortedTxn[] = []
  /** Appends since idle producers were last swept out. */
  sinceSweep = 0

  /**
   * Checks an idempotent batch against the producer's state: a repeat of one of its last five
   * batches is a duplicate; otherwise the batch must continue the producer's sequence (a new epoch
   * starts at 0; an unknown producer may start anywhere, as after its state expired).
   */
  check(b: BatchInfo): SequenceCheck {
    if (b.baseSequence < 0) fail(ErrorCode.OUT_OF_ORDER_SEQUENCE, `producer ${b.producerId} sent a batch without a sequence number`)
    const entry = this.producers.get(b.producerId)
    if (entry === undefined) return { kind: 'append' }
    if (b.producerEpoch < entry.epoch) {
      fail(ErrorCode.INVALID_PRODUCER_EPOCH, `producer ${b.producerId} epoch ${b.producerEpoch} is older than the current epoch ${entry.epoch}`)
    }
    if (b.producerEpoch > entry.epoch) {
      if (b.baseSequence !== 0) fail(ErrorCode.OUT_OF_ORDER_SEQUENCE, `producer ${b.producerId} starts epoch ${b.producerEpoch} at sequence ${b.baseSequence}, not 0`)
      return { kind: 'append' }
    }
    const lastSeq = addSequence(b.baseSequence, b.lastOffsetDelta)
    const dup = entry.batches.find((c) => c.firstSeq === b.baseSequence && c.lastSeq === lastSeq)
    if (dup !== undefined) return { kind: 'duplicate', batch: dup }
    const expected = entry.lastSeq < 0 ? 0 : addSequence(entry.lastSeq, 1)
    if (b.baseSequence !== expected) {
      fail(ErrorCode.OUT_OF_ORDER_SEQUENCE, `producer ${b.producerId} sent sequence ${b.baseSequence}, expected ${expected}`)
    }
    return { kind: 'append' }
  }

  /** Records an appended data batch of a producer (idempotent or transactional). */
  applyBatch(b: BatchInfo, baseOffset: number, now: number): void {
    let entry = this.producers.get(b.producerId)
    if (entry === undefined || b.producerEpoch > entry.epoch) {
      entry = { epoch: b.producerEpoch, lastSeen: now, lastSeq: -1, batches: [] }
      this.producers.set(b.producerId, entry)
    }
    entry.lastSeen = now
    if (b.baseSequence >= 0) {
      const lastSeq = addSequence(b.baseSequence, b.lastOffsetDelta)
      entry.batches.push({ firstSeq: b.baseSequence, lastSeq, firstOffset: baseOffset, lastOffset: baseOffset + b.lastOffsetDelta })
      if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift()
      entry.lastSeq = lastSeq
    }
    if (b.transactional && !this.ongoing.has(b.producerId)) this.ongoing.set(b.producerId, baseOffset)
  }

  /** Records a transaction marker at `offset`; a newer epoch in it fences the older one. */
  applyMarker(producerId: number, producerEpoch: number, type: number, offset: number, now: number): void {
    const entry = this.producers.get(producerId)
    if (entry === undefined || producerEpoch > entry.epoch) this.producers.set(producerId, { epoch: producerEpoch, lastSeen: now, lastSeq: -1, batches: [] })
    const first = this.ongoing.get(producerId)
    if (first === undefined) return
    this.ongoing.delete(producerId)
    this.completing.push({ firstOffset: first, markerOffset: offset })
    if (type === ControlRecordType.ABORT) this.aborted.push({ producerId, firstOffset: first, lastOffset: offset })
  }

  /**
   * Forgets producers idle since before `now - maxAgeMs` (not those with an open transaction). A
   * forgotten producer that comes back is treated as new: its next sequence is accepted.
   */
  expire(now: number, maxAgeMs = PRODUCER_EXPIRATION_MS): void {
    for (const [pid, e] of this.producers) if (e.lastSeen < now - maxAgeMs && !this.ongoing.has(pid)) this.producers.delete(pid)
  }

  /** The first offset read_committed consumers may not read: the oldest open transaction, at most `highWatermark`. */
  lastStableOffset(highWatermark: number): number {
    let lso = highWatermark
    for (const first of this.ongoing.values()) lso = Math.min(lso, first)
    if (this.completing.length > 0) {
      // A transaction is stable once its marker is readable.
      this.completing = this.completing.filter((c) => c.markerOffset >= highWatermark)
      for (const c of this.completing) lso = Math.min(lso, c.firstOffset)
    }
    return lso
  }

  /** Aborted transactions with data in [from, to), by first offset; those below `logStart` are forgotten. */
  abortedIn(from: number, to: number, logStart: number): AbortedTxn[] {
    if (this.aborted.length > 0 && (this.aborted[0] as AbortedTxn).lastOffset < logStart) this.aborted = this.aborted.filter((a) => a.lastOffset >= logStart)
    return this.aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to).sort((a, b) => a.firstOffset - b.firstOffset)
  }
}
