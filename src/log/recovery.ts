/**
 * @module Opening a partition directory. After a clean shutdown (marker present) files and indexes
 * are trusted after a cheap sanity walk; otherwise every segment from the recovery point on is
 * validated batch by batch (CRC, framing, offsets) and its indexes rebuilt.
 *
 * A torn tail — bytes after the last valid batch at the end of the last segment with no valid batch
 * anywhere after them (a half-written batch, zero fill, garbage) — is what a crash leaves and is cut
 * off. A bad batch with valid data after it, or any bad batch in a sealed segment, is corruption:
 * open fails with CORRUPT_LOG naming the file and byte offset, before any file is touched.
 */
import fs from 'node:fs'
import path from 'node:path'
import { BATCH_OVERHEAD, BatchOffsets, LOG_OVERHEAD, checkBatch } from '../protocol/records/batch-header.ts'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { ChunkReader, readInt64, scanHeaders } from './batch-scan.ts'
import { CLEAN_SHUTDOWN_FILE, readLogCheckpoint, writeLogCheckpoint } from './checkpoint.ts'
import { type FsyncHooks, readAt, unlinkIfExists } from './durable-io.ts'
import { OffsetIndex } from './offset-index.ts'
import { INDEX_SUFFIX, LOG_SUFFIX, LogSegment, MAX_RELATIVE_OFFSET, TIME_INDEX_SUFFIX, segmentName } from './segment.ts'
import { TimeIndex } from './time-index.ts'

export interface RecoveryReport {
  /** The clean-shutdown marker was present. */
  cleanShutdown: boolean
  /** Segments validated batch by batch (their indexes rebuilt). */
  segmentsScanned: number
  /** Set when a torn tail was cut off. */
  truncated?: { file: string; position: number; bytes: number; reason: string }
}

export interface LoadedLog {
  segments: LogSegment[]
  logStartOffset: number
  report: RecoveryReport
}

const SEGMENT_FILE = /^(\d{20})\.log$/
const RESYNC_CHUNK = 1 << 20

interface ScanFailure {
  position: number
  reason: string
  /** A CRC-valid batch with impossible offsets: never a torn write. */
  offsets: boolean
}

function corruptLog(file: string, position: number, message: string): TributaryError {
  return new TributaryError(ErrorCode.CORRUPT_LOG, `${file}: ${message}`, { details: { file, position } })
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file)
  } catch {
    return undefined
  }
}

/** Loads indexes from disk and walks the batches after the last index entry; false means "scan it". */
function loadTrusted(seg: LogSegment, isLast: boolean, nextBase: number, intervalBytes: number): boolean {
  const indexData = readIfExists(seg.indexPath)
  const timeData = readIfExists(seg.timeIndexPath)
  if (indexData === undefined || timeData === undefined) return false
  const offsetIndex = OffsetIndex.parse(indexData, seg.size)
  const timeIndex = TimeIndex.parse(timeData)
  if (offsetIndex === undefined || timeIndex === undefined) return false
  seg.offsetIndex = offsetIndex
  seg.timeIndex = timeIndex
  const slot = offsetIndex.count - 1
  const from = slot >= 0 ? offsetIndex.positionAt(slot) : 0
  const expectFirst = slot >= 0 ? seg.baseOffset + offsetIndex.relOffsetAt(slot) : seg.baseOffset
  // The batch at the last index entry must start exactly there; from it the walk reaches the file end.
  seg.nextOffset = expectFirst
  if (timeIndex.count > 0) {
    seg.maxTimestamp = timeIndex.lastTimestamp
    seg.offsetOfMaxTimestamp = seg.baseOffset + timeIndex.lastRelOffset
  }
  let ok = true
  let first = true
  let lastPos = -1
  let lastSize = 0
  const stop = scanHeaders(seg.fd, from, seg.size, (buf, at, filePos, size) => {
    const base = readInt64(buf, at)
    if (buf.readInt8(at + BatchOffsets.magic) !== 2 || base < seg.nextOffset || (first && slot >= 0 && base !== expectFirst)) {
      ok = false
      return false
    }
    first = false
    const last = base + buf.readInt32BE(at + BatchOffsets.lastOffsetDelta)
    seg.trackBatch(base, last, readInt64(buf, at + BatchOffsets.maxTimestamp), filePos, size, intervalBytes)
    lastPos = filePos
    lastSize = size
    return true
  })
  ok &&= stop === seg.size && seg.nextOffset <= nextBase
  ok &&= timeIndex.lastRelOffset < seg.nextOffset - seg.baseOffset
  if (ok && isLast && lastPos >= 0) ok = checkBatch(readAt(seg.fd, lastPos, lastSize), 0, lastSize).kind === 'ok'
  if (!ok) seg.resetState()
  return ok
}

/** Validates every batch (framing, magic, CRC, increasing offsets) and rebuilds the indexes. */
function scanSegment(seg: LogSegment, nextBase: number, intervalBytes: number): ScanFailure | undefined {
  seg.resetState()
  const fileSize = seg.size
  const reader = new ChunkReader(seg.fd, fileSize)
  let pos = 0
  while (pos < fileSize) {
    let at = reader.ensure(pos, BATCH_OVERHEAD)
    if (reader.available(at) >= LOG_OVERHEAD) {
      const size = reader.buf.readInt32BE(at + BatchOffsets.batchLength) + LOG_OVERHEAD
      if (size >= BATCH_OVERHEAD && pos + size <= fileSize && reader.available(at) < size) at = reader.ensure(pos, size)
    }
    const buf = reader.buf
    const check = checkBatch(buf, at, at + Math.min(reader.available(at), fileSize - pos))
    if (check.kind !== 'ok') {
      seg.size = pos
      return { position: pos, reason: check.kind === 'incomplete' ? `incomplete batch: ${check.reason}` : check.reason, offsets: false }
    }
    const base = readInt64(buf, at)
    const last = base + buf.readInt32BE(at + BatchOffsets.lastOffsetDelta)
    if (base < seg.nextOffset || last - seg.baseOffset > MAX_RELATIVE_OFFSET || last >= nextBase) {
      seg.size = pos
      const reason = `batch offsets ${base}..${last} do not follow ${seg.nextOffset - 1}` + (last >= nextBase ? ` or run into the next segment at ${nextBase}` : '')
      return { position: pos, reason, offsets: true }
    }
    seg.trackBatch(base, last, readInt64(buf, at + BatchOffsets.maxTimestamp), pos, check.sizeInBytes, intervalBytes)
    pos += check.sizeInBytes
  }
  return undefined
}

/** Position of the first CRC-valid batch starting after `from`, or -1: tells corruption from a torn tail. */
export function findValidBatchAfter(fd: number, from: number, fileSize: number): number {
  for (let start = from + 1; start + BATCH_OVERHEAD <= fileSize; start += RESYNC_CHUNK) {
    const buf = readAt(fd, start, Math.min(RESYNC_CHUNK + BATCH_OVERHEAD, fileSize - start))
    const limit = Math.min(RESYNC_CHUNK, buf.length - BATCH_OVERHEAD + 1)
    for (let i = 0; i < limit; i++) {
      if (buf[i + BatchOffsets.magic] !== 2) continue
      const size = buf.readInt32BE(i + BatchOffsets.batchLength) + LOG_OVERHEAD
      if (size < BATCH_OVERHEAD || start + i + size > fileSize) continue
      const batch = i + size <= buf.length ? buf.subarray(i, i + size) : readAt(fd, start + i, size)
      if (checkBatch(batch, 0, size).kind === 'ok') return start + i
    }
  }
  return -1
}

function rollAnchor(seg: LogSegment, now: number): number {
  if (seg.size < BATCH_OVERHEAD) return now
  const ts = readInt64(readAt(seg.fd, 0, BATCH_OVERHEAD), BatchOffsets.maxTimestamp)
  return ts >= 0 && ts <= now ? ts : now
}

/**
 * Opens (creating if needed) the partition directory and returns its segments, recovered. Reads and
 * validates everything first; files change only once the whole log is known good.
 */
export async function loadLog(dir: string, intervalBytes: number, now: number, hooks: FsyncHooks): Promise<LoadedLog> {
  fs.mkdirSync(dir, { recursive: true })
  const names = fs.readdirSync(dir)
  const bases = names.flatMap((n) => {
    const m = SEGMENT_FILE.exec(n)
    return m === null ? [] : [Number(m[1])]
  }).sort((a, b) => a - b)
  const checkpoint = readLogCheckpoint(dir)
  const cleanShutdown = names.includes(CLEAN_SHUTDOWN_FILE)
  const recoveryPoint = cleanShutdown ? Infinity : (checkpoint?.recoveryPoint ?? 0)
  let logStartOffset = checkpoint?.logStartOffset ?? 0
  // Segments wholly below the log start are what an interrupted retention run left behind.
  const obsolete = bases.filter((_b, i) => i < bases.length - 1 && (bases[i + 1] as number) <= logStartOffset)
  const kept = bases.slice(obsolete.length)
  const segments: LogSegment[] = []
  const scanned = new Set<LogSegment>()
  const report: RecoveryReport = { cleanShutdown, segmentsScanned: 0 }
  let truncateAt = -1
  try {
    for (let i = 0; i < kept.length; i++) {
      const seg = LogSegment.open(dir, kept[i] as number)
      segments.push(seg)
      const isLast = i === kept.length - 1
      const nextBase = isLast ? Number.MAX_SAFE_INTEGER : (kept[i + 1] as number)
      const trusted = cleanShutdown || (!isLast && nextBase <= recoveryPoint)
      if (trusted && loadTrusted(seg, isLast, nextBase, intervalBytes)) continue
      scanned.add(seg)
      const fileSize = seg.size
      const failure = scanSegment(seg, nextBase, intervalBytes)
      if (failure === undefined) continue
      const where = `byte ${failure.position}`
      if (!isLast) throw corruptLog(seg.logPath, failure.position, `sealed segment is corrupt at ${where}: ${failure.reason}`)
      if (failure.offsets) throw corruptLog(seg.logPath, failure.position, `corrupt batch at ${where}: ${failure.reason}`)
      const validAt = findValidBatchAfter(seg.fd, failure.position, fileSize)
      if (validAt >= 0) {
        throw corruptLog(seg.logPath, failure.position, `corrupt batch at ${where} (${failure.reason}) with a valid batch after it at byte ${validAt}; refusing to drop data`)
      }
      truncateAt = failure.position
      report.truncated = { file: seg.logPath, position: failure.position, bytes: fileSize - failure.position, reason: failure.reason }
    }
  } catch (err) {
    for (const seg of segments) seg.close()
    throw err
  }

  // Everything is validated: now bring the files in line.
  for (const name of names) {
    if (name.endsWith('.cleaned') || name.endsWith('.tmp')) unlinkIfExists(path.join(dir, name))
    const m = /^(\d{20})(\.index|\.timeindex)$/.exec(name)
    if (m !== null && !bases.includes(Number(m[1]))) unlinkIfExists(path.join(dir, name))
  }
  for (const base of obsolete) {
    for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) unlinkIfExists(path.join(dir, segmentName(base) + suffix))
  }
  const last = segments.at(-1)
  if (last !== undefined && truncateAt >= 0) fs.ftruncateSync(last.fd, truncateAt)
  if (last === undefined) segments.push(LogSegment.create(dir, logStartOffset))
  for (const seg of scanned) {
    // scanSegment checked every batch it kept by CRC.
    seg.verifiedUpTo = seg.size
    seg.persistIndexes(seg !== last)
    await seg.syncWith(hooks.syncData)
    await seg.syncIndexes(hooks.syncData)
  }
  report.segmentsScanned = scanned.size
  const active = segments.at(-1) as LogSegment
  active.rollAnchorMs = rollAnchor(active, now)
  const first = segments[0] as LogSegment
  logStartOffset = Math.min(Math.max(logStartOffset, first.baseOffset), active.nextOffset)
  if (cleanShutdown) unlinkIfExists(path.join(dir, CLEAN_SHUTDOWN_FILE))
  await writeLogCheckpoint(dir, { logStartOffset, recoveryPoint: active.baseOffset }, hooks)
  return { segments, logStartOffset, report }
}
