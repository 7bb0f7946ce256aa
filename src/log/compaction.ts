/**
 * @module Log compaction of sealed segments: for each key only the record with the highest offset
 * stays. Offsets never change (a batch keeps its base offset and offset range, so gaps appear), and
 * batches keep their producer id, epoch and sequence. A tombstone (null value) first gets a delete
 * horizon stamped on its batch (Kafka's DELETE_HORIZON attribute: baseTimestamp becomes now +
 * deleteRetentionMs) and is dropped by the first pass after that horizon, so consumers have had
 * deleteRetentionMs to see it.
 *
 * A segment is rewritten into `<name>.cleaned` files, fsynced, then swapped in by rename with the old
 * indexes removed first: a crash at any point leaves either the old or the new log, and indexes that
 * are missing (rebuilt on open) rather than stale.
 */
import fs from 'node:fs'
import { Attributes, BATCH_OVERHEAD, BatchOffsets, computeBatchCrc, compressionOf, isControlBatch } from '../protocol/records/batch-header.ts'
import { compress } from '../protocol/records/compression.ts'
import { sizeOfVarInt, sizeOfVarLong, writeVarInt, writeVarLong } from '../util/varint.ts'
import { forEachBatch, readInt64 } from './batch-scan.ts'
import { type FsyncHooks, storageError, writeFully } from './durable-io.ts'
import { forEachRecord, recordsSection, type RecordsSection } from './record-scan.ts'
import { LogSegment } from './segment.ts'
import { type LogConfig } from './types.ts'

const CLEANED = '.cleaned'
const STAGE_BYTES = 1 << 20

/** What lets a maintenance run skip compaction when nothing can have changed since the last pass. */
export interface CompactionState {
  /** End offset of the sealed segments at the last pass. */
  sealedUpTo: number
  /** Earliest delete horizon of a retained tombstone: a pass is due once `now` reaches it. */
  nextHorizon: number
}

interface CleanContext {
  latest: Map<string, number>
  lastBatchOfProducer: Map<number, number>
  now: number
  deleteRetentionMs: number
  nextHorizon: number
}

function keyOf(section: RecordsSection, keyStart: number, keyLength: number): string {
  return section.buf.toString('latin1', keyStart, keyStart + keyLength)
}

/** Pass 1: the highest offset of every key, and the last batch of each producer, over the sealed segments. */
function buildOffsetMap(sealed: readonly LogSegment[]): Pick<CleanContext, 'latest' | 'lastBatchOfProducer'> {
  const latest = new Map<string, number>()
  const lastBatchOfProducer = new Map<number, number>()
  for (const seg of sealed) {
    forEachBatch(seg.fd, seg.size, (buf, at, _pos, size) => {
      const base = readInt64(buf, at)
      const producerId = readInt64(buf, at + BatchOffsets.producerId)
      if (producerId >= 0) lastBatchOfProducer.set(producerId, base)
      if (isControlBatch(buf.readInt16BE(at + BatchOffsets.attributes))) return
      const section = recordsSection(buf, at, size)
      forEachRecord(section, buf.readInt32BE(at + BatchOffsets.recordsCount), (r) => {
        if (r.keyLength >= 0) latest.set(keyOf(section, r.keyStart, r.keyLength), base + r.offsetDelta)
      })
    })
  }
  return { latest, lastBatchOfProducer }
}

/** cleanBatch's answer when a batch stays exactly as stored. */
const UNCHANGED = Symbol('unchanged')
const KEPT_FIELDS = 6

/**
 * What replaces the batch at buf[at, at + size): UNCHANGED, a rebuilt batch, or undefined when it
 * goes entirely.
 */
function cleanBatch(buf: Buffer, at: number, size: number, ctx: CleanContext): Buffer | typeof UNCHANGED | undefined {
  const attributes = buf.readInt16BE(at + BatchOffsets.attributes)
  if (isControlBatch(attributes)) return UNCHANGED
  const base = readInt64(buf, at)
  const count = buf.readInt32BE(at + BatchOffsets.recordsCount)
  const baseTimestamp = readInt64(buf, at + BatchOffsets.baseTimestamp)
  const hasHorizon = (attributes & Attributes.DELETE_HORIZON) !== 0
  const dropTombstones = hasHorizon && ctx.now >= baseTimestamp
  const section = recordsSection(buf, at, size)
  // Per kept record: start, end, attributes, timestampDelta, offsetDelta, position after offsetDelta.
  const kept: number[] = []
  let keptTombstone = false
  let maxTimestamp = -1
  forEachRecord(section, count, (r) => {
    if (r.keyLength >= 0 && ctx.latest.get(keyOf(section, r.keyStart, r.keyLength)) !== base + r.offsetDelta) return
    if (r.valueLength < 0) {
      if (dropTombstones) return
      keptTombstone = true
    }
    kept.push(r.start, r.end, r.attributes, r.timestampDelta, r.offsetDelta, r.afterOffsetDelta)
    maxTimestamp = Math.max(maxTimestamp, baseTimestamp + r.timestampDelta)
  })
  const keptCount = kept.length / KEPT_FIELDS
  const stampHorizon = keptTombstone && !hasHorizon
  const horizon = stampHorizon ? ctx.now + ctx.deleteRetentionMs : baseTimestamp
  if (keptTombstone) ctx.nextHorizon = Math.min(ctx.nextHorizon, horizon)
  if (keptCount === count && !stampHorizon) return UNCHANGED
  if (keptCount === 0) {
    // An idempotent producer's last batch stays (empty) so its sequence survives; others go.
    const producerId = readInt64(buf, at + BatchOffsets.producerId)
    if (producerId < 0 || ctx.lastBatchOfProducer.get(producerId) !== base) return undefined
  }
  const records = encodeKept(section.buf, kept, stampHorizon ? baseTimestamp - horizon : 0)
  const codec = compressionOf(attributes)
  const body = codec === 0 ? records : compress(codec, records)
  const out = Buffer.allocUnsafe(BATCH_OVERHEAD + body.length)
  buf.copy(out, 0, at, at + BATCH_OVERHEAD)
  body.copy(out, BATCH_OVERHEAD)
  out.writeInt32BE(out.length - 12, BatchOffsets.batchLength)
  out.writeInt16BE(stampHorizon ? attributes | Attributes.DELETE_HORIZON : attributes, BatchOffsets.attributes)
  out.writeBigInt64BE(BigInt(horizon), BatchOffsets.baseTimestamp)
  if ((attributes & Attributes.TIMESTAMP_LOG_APPEND) === 0 && keptCount > 0) out.writeBigInt64BE(BigInt(maxTimestamp), BatchOffsets.maxTimestamp)
  out.writeInt32BE(keptCount, BatchOffsets.recordsCount)
  out.writeUInt32BE(computeBatchCrc(out, 0, out.length), BatchOffsets.crc)
  return out
}

/**
 * The kept records, concatenated. With `shift` 0 they are copied verbatim; otherwise the batch's base
 * timestamp moved and each record's timestamp delta grows by `shift` (its length prefix changes too).
 */
function encodeKept(src: Buffer, kept: readonly number[], shift: number): Buffer {
  let length = 0
  for (let i = 0; i < kept.length; i += KEPT_FIELDS) {
    const start = kept[i] as number
    const end = kept[i + 1] as number
    if (shift === 0) {
      length += end - start
      continue
    }
    const inner = 1 + sizeOfVarLong((kept[i + 3] as number) + shift) + sizeOfVarInt(kept[i + 4] as number) + (end - (kept[i + 5] as number))
    length += sizeOfVarInt(inner) + inner
  }
  const out = Buffer.allocUnsafe(length)
  let w = 0
  for (let i = 0; i < kept.length; i += KEPT_FIELDS) {
    const start = kept[i] as number
    const end = kept[i + 1] as number
    if (shift === 0) {
      w += src.copy(out, w, start, end)
      continue
    }
    const tsDelta = (kept[i + 3] as number) + shift
    const offsetDelta = kept[i + 4] as number
    const after = kept[i + 5] as number
    w = writeVarInt(out, w, 1 + sizeOfVarLong(tsDelta) + sizeOfVarInt(offsetDelta) + (end - after))
    out[w++] = kept[i + 2] as number
    w = writeVarLong(out, w, tsDelta)
    w = writeVarInt(out, w, offsetDelta)
    w += src.copy(out, w, after, end)
  }
  return out
}

/** Collects output into a staging buffer so a segment of small batches is written in large writes. */
class StagedWriter {
  readonly #fd: number
  readonly #stage = Buffer.allocUnsafe(STAGE_BYTES)
  #staged = 0
  #flushed = 0

  constructor(fd: number) {
    this.#fd = fd
  }

  get position(): number {
    return this.#flushed + this.#staged
  }

  write(bytes: Buffer): void {
    if (this.#staged + bytes.length > STAGE_BYTES) this.flush()
    if (bytes.length > STAGE_BYTES) {
      writeFully(this.#fd, bytes, this.#flushed)
      this.#flushed += bytes.length
      return
    }
    this.#staged += bytes.copy(this.#stage, this.#staged)
  }

  flush(): void {
    if (this.#staged === 0) return
    writeFully(this.#fd, this.#stage.subarray(0, this.#staged), this.#flushed)
    this.#flushed += this.#staged
    this.#staged = 0
  }
}

/** Whether cleaning would change the segment at all (a dry run, so unchanged segments are not rewritten). */
function needsCleaning(seg: LogSegment, ctx: CleanContext): boolean {
  let changed = false
  forEachBatch(seg.fd, seg.size, (buf, at, _pos, size) => {
    if (cleanBatch(buf, at, size, ctx) !== UNCHANGED) changed = true
  })
  return changed
}

async function rewriteSegment(seg: LogSegment, ctx: CleanContext, config: LogConfig, hooks: FsyncHooks): Promise<void> {
  const fd = fs.openSync(seg.logPath + CLEANED, 'w+')
  const out = new LogSegment(seg.dir, seg.baseOffset, fd, 0)
  let swapped = false
  try {
    const writer = new StagedWriter(fd)
    forEachBatch(seg.fd, seg.size, (buf, at, _pos, size) => {
      const cleaned = cleanBatch(buf, at, size, ctx)
      if (cleaned === undefined) return
      const bytes = cleaned === UNCHANGED ? buf.subarray(at, at + size) : cleaned
      const base = readInt64(bytes, 0)
      const last = base + bytes.readInt32BE(BatchOffsets.lastOffsetDelta)
      out.trackBatch(base, last, readInt64(bytes, BatchOffsets.maxTimestamp), writer.position, bytes.length, config.indexIntervalBytes)
      writer.write(bytes)
    })
    writer.flush()
    out.size = writer.position
    out.persistIndexes(true, CLEANED)
    await hooks.syncData(fd)
    await out.syncIndexes(hooks.syncData, CLEANED)
    // Old indexes go first: a crash from here on leaves indexes missing (rebuilt), never stale.
    fs.unlinkSync(seg.indexPath)
    fs.unlinkSync(seg.timeIndexPath)
    await hooks.syncDir(seg.dir)
    fs.renameSync(seg.logPath + CLEANED, seg.logPath)
    swapped = true
    await hooks.syncDir(seg.dir)
    fs.renameSync(seg.indexPath + CLEANED, seg.indexPath)
    fs.renameSync(seg.timeIndexPath + CLEANED, seg.timeIndexPath)
    await hooks.syncDir(seg.dir)
  } catch (err) {
    if (!swapped) {
      fs.closeSync(fd)
      for (const p of [seg.logPath, seg.indexPath, seg.timeIndexPath]) fs.rmSync(p + CLEANED, { force: true })
      // The old index files may be gone already: write them again, whole, from memory.
      seg.offsetIndex.forgetPersisted()
      seg.timeIndex.forgetPersisted()
      seg.persistIndexes(false)
      throw storageError(`compacting ${seg.logPath} failed`, err)
    }
    // The new log is in place: carry on with it (its indexes are rebuilt on the next open if missing).
  }
  seg.replaceFile(fd, out.size)
  seg.offsetIndex = out.offsetIndex
  seg.timeIndex = out.timeIndex
  seg.nextOffset = out.nextOffset
  seg.maxTimestamp = out.maxTimestamp
  seg.offsetOfMaxTimestamp = out.offsetOfMaxTimestamp
  seg.bytesSinceIndexEntry = out.bytesSinceIndexEntry
}

/**
 * Compacts the sealed segments (all but the active one) in place. Returns how many were rewritten.
 * Skips the work when no segment was sealed since the last pass and no tombstone horizon is due.
 */
export async function compactSegments(sealed: readonly LogSegment[], config: LogConfig, now: number, hooks: FsyncHooks, state: CompactionState): Promise<number> {
  const last = sealed.at(-1)
  if (last === undefined) return 0
  if (last.nextOffset <= state.sealedUpTo && now < state.nextHorizon) return 0
  const ctx: CleanContext = { ...buildOffsetMap(sealed), now, deleteRetentionMs: config.deleteRetentionMs, nextHorizon: Infinity }
  let rewritten = 0
  for (const seg of sealed) {
    if (!needsCleaning(seg, ctx)) continue
    await rewriteSegment(seg, ctx, config, hooks)
    rewritten++
  }
  state.sealedUpTo = last.nextOffset
  state.nextHorizon = ctx.nextHorizon
  return rewritten
}
