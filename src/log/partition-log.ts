/**
 * @module The durable partition log: a directory of segments holding RecordBatch v2 bytes as produced.
 * An append validates everything first, assigns offsets in place and writes the whole payload with one
 * write; durability follows the flush policy (group commit by default). Reads return stored bytes.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Attributes, BatchOffsets, LOG_OVERHEAD, computeBatchCrc, setBaseOffset } from '../protocol/records/batch-header.ts'
import { type Clock, type TimerHandle } from '../util/clock.ts'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { validateAppend } from './append-validation.ts'
import { CLEAN_SHUTDOWN_FILE, writeLogCheckpoint } from './checkpoint.ts'
import { compactSegments, type CompactionState } from './compaction.ts'
import { defaultFsyncHooks, type FsyncHooks, storageError, writeFileDurably } from './durable-io.ts'
import { GroupCommit } from './group-commit.ts'
import { isCompacted, isDeleting, validateLogConfig } from './log-config.ts'
import { loadLog, type RecoveryReport } from './recovery.ts'
import { activeSegmentExpired, segmentsToDelete } from './retention.ts'
import { LogSegment, MAX_RELATIVE_OFFSET } from './segment.ts'
import {
  type AppendOptions, type AppendResult, type CloseOptions, type LogConfig, type PartitionLog, type ReadBuffers, type ReadResult, type TimestampOffset,
} from './types.ts'

export interface OpenLogOptions {
  clock: Clock
  /** Replaces the fsync primitives: tests count group commits or make the disk fail. */
  fsyncHooks?: FsyncHooks
}

const EMPTY = Buffer.alloc(0)
/** Extra bytes read past `maxBytes` so the batch a sparse index entry leads to is usually in the same read. */
const READ_SLACK_BYTES = 16 * 1024
/** Partition directories open in this process: a second instance on the same files would corrupt them. */
const openDirs = new Set<string>()

function closedError(dir: string): TributaryError {
  return new TributaryError(ErrorCode.CLOSED, `partition log ${dir} is closed`)
}

export class FilePartitionLog implements PartitionLog {
  readonly dir: string
  #config: LogConfig
  readonly #clock: Clock
  readonly #hooks: FsyncHooks
  readonly #segments: LogSegment[]
  #logStartOffset: number
  #logEndOffset: number
  #highWatermark: number
  /** Base offset of the first segment that an unclean restart must validate. */
  #recoveryPoint: number
  readonly #commit: GroupCommit
  /** Segments written since the last sync round, and whether a file was created in the directory. */
  readonly #dirty = new Set<LogSegment>()
  #dirDirty = false
  readonly #listeners = new Set<() => void>()
  #timer: TimerHandle | undefined
  #closing = false
  #closed: Promise<void> | undefined
  #maintenance: Promise<unknown> = Promise.resolve()
  #background: Promise<void> = Promise.resolve()
  #checkpoints: Promise<void> = Promise.resolve()
  readonly #compaction: CompactionState = { sealedUpTo: -1, nextHorizon: Infinity }
  readonly recoveryReport: RecoveryReport

  constructor(dir: string, config: LogConfig, clock: Clock, hooks: FsyncHooks, segments: LogSegment[], logStartOffset: number, report: RecoveryReport) {
    this.dir = dir
    this.#config = config
    this.#clock = clock
    this.#hooks = hooks
    this.#segments = segments
    this.#logStartOffset = logStartOffset
    this.#logEndOffset = this.#active.nextOffset
    this.#highWatermark = this.#logEndOffset
    this.#recoveryPoint = this.#active.baseOffset
    this.recoveryReport = report
    this.#commit = new GroupCommit(this.#logEndOffset, () => this.#syncRound(), (offset) => this.#onDurable(offset), () => undefined)
    this.#armTimer()
  }

  get config(): LogConfig {
    return this.#config
  }

  get logStartOffset(): number {
    return this.#logStartOffset
  }

  get logEndOffset(): number {
    return this.#logEndOffset
  }

  get highWatermark(): number {
    return this.#highWatermark
  }

  get sizeInBytes(): number {
    let total = 0
    for (const seg of this.#segments) total += seg.size
    return total
  }

  /** Number of segments, the active one included. */
  get segmentCount(): number {
    return this.#segments.length
  }

  get #active(): LogSegment {
    return this.#segments[this.#segments.length - 1] as LogSegment
  }

  async append(batches: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    this.#checkWritable()
    const { offsets } = validateAppend(batches, this.#config, options.allowControl === true)
    const now = this.#clock.now()
    const baseOffset = this.#logEndOffset
    if (this.#shouldRoll(batches.length, baseOffset + offsets - 1, now)) this.#roll()
    const active = this.#active
    const logAppendTime = this.#config.messageTimestampType === 'LogAppendTime'
    let next = baseOffset
    for (let pos = 0; pos < batches.length; ) {
      const size = batches.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
      setBaseOffset(batches, pos, next)
      next += batches.readInt32BE(pos + BatchOffsets.lastOffsetDelta) + 1
      if (logAppendTime) stampLogAppendTime(batches, pos, size, now)
      pos += size
    }
    const position = active.size
    try {
      active.write(batches)
    } catch (err) {
      const error = storageError(`append to ${active.logPath} failed`, err)
      try {
        fs.ftruncateSync(active.fd, position)
      } catch {
        // The file may now end in a partial batch we cannot remove: stop writing to it.
        this.#commit.fail(error)
      }
      throw error
    }
    active.trackBatches(batches, position, this.#config.indexIntervalBytes)
    if (position === 0) active.rollAnchorMs = now
    this.#logEndOffset = next
    this.#dirty.add(active)
    const result: AppendResult = { baseOffset, lastOffset: next - 1, logAppendTime: logAppendTime ? now : -1, logStartOffset: this.#logStartOffset }
    if (this.#config.flush.mode === 'fsync') {
      await this.#commit.waitFor(next)
      return result
    }
    this.#advanceHighWatermark(next)
    return result
  }

  read(offset: number, maxBytes: number, buffers?: ReadBuffers): ReadResult {
    if (this.#closed !== undefined) throw closedError(this.dir)
    if (!Number.isSafeInteger(offset) || offset < this.#logStartOffset || offset > this.#logEndOffset) {
      throw new TributaryError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${offset} is outside the log ${this.dir} [${this.#logStartOffset}, ${this.#logEndOffset}]`,
        { details: { logStartOffset: this.#logStartOffset, logEndOffset: this.#logEndOffset } },
      )
    }
    const highWatermark = this.#highWatermark
    const logStartOffset = this.#logStartOffset
    if (offset >= highWatermark) return { records: EMPTY, highWatermark, logStartOffset }
    const slack = this.#config.indexIntervalBytes + READ_SLACK_BYTES
    for (let i = this.#segmentIndexFor(offset); i < this.#segments.length; i++) {
      const seg = this.#segments[i] as LogSegment
      if (seg.baseOffset >= highWatermark) break
      const records = seg.readFrom(offset, maxBytes, highWatermark, slack, buffers)
      if (records !== undefined) return { records, highWatermark, logStartOffset }
    }
    return { records: EMPTY, highWatermark, logStartOffset }
  }

  offsetForTimestamp(timestamp: number): TimestampOffset | undefined {
    if (this.#closed !== undefined) throw closedError(this.dir)
    const limit = this.#highWatermark
    for (const seg of this.#segments) {
      if (seg.baseOffset >= limit) break
      if (seg.maxTimestamp < timestamp) continue
      const found = seg.findByTimestamp(timestamp, limit)
      if (found !== undefined) return { offset: Math.max(found.offset, this.#logStartOffset), timestamp: found.timestamp }
    }
    return undefined
  }

  runMaintenance(now: number): Promise<number> {
    const run = this.#maintenance.then(() => this.#maintain(now))
    this.#maintenance = run.catch(() => undefined)
    return run
  }

  updateConfig(config: LogConfig): void {
    validateLogConfig(config)
    const before = this.#config.flush
    this.#config = { ...config, flush: { ...config.flush } }
    const after = this.#config.flush
    if (before.mode !== after.mode || (before.mode === 'interval' && after.mode === 'interval' && before.intervalMs !== after.intervalMs)) {
      this.#timer?.cancel()
      this.#timer = undefined
      this.#armTimer()
    }
    if (after.mode !== 'fsync') this.#advanceHighWatermark(this.#logEndOffset)
  }

  onAppend(listener: () => void): () => void {
    const entry = (): void => listener()
    this.#listeners.add(entry)
    return () => {
      this.#listeners.delete(entry)
    }
  }

  async flush(): Promise<void> {
    if (this.#commit.failure !== undefined) throw this.#commit.failure
    await this.#commit.waitFor(this.#logEndOffset)
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.#closed ??= this.#close(options.clean !== false)
    return this.#closed
  }

  async #close(clean: boolean): Promise<void> {
    this.#closing = true
    this.#timer?.cancel()
    this.#timer = undefined
    try {
      await this.#maintenance
      await this.#background
      if (clean && this.#commit.failure === undefined) {
        await this.#commit.waitFor(this.#logEndOffset)
        const active = this.#active
        active.persistIndexes(true)
        await active.syncIndexes(this.#hooks.syncData)
        this.#recoveryPoint = active.baseOffset
        await this.#saveCheckpoint()
        await writeFileDurably(this.dir, CLEAN_SHUTDOWN_FILE, Buffer.from('clean\n'), this.#hooks)
      } else {
        this.#commit.abandon(closedError(this.dir))
      }
    } finally {
      for (const seg of this.#segments) seg.close()
      openDirs.delete(this.dir)
    }
  }

  #checkWritable(): void {
    if (this.#closing) throw closedError(this.dir)
    const failure = this.#commit.failure
    if (failure !== undefined) throw failure
  }

  #shouldRoll(bytes: number, lastOffset: number, now: number): boolean {
    const active = this.#active
    if (active.size === 0) return false
    return (
      active.size + bytes > this.#config.segmentBytes ||
      now - active.rollAnchorMs >= this.#config.segmentMs ||
      lastOffset - active.baseOffset > MAX_RELATIVE_OFFSET
    )
  }

  /**
   * Seals the active segment and starts a new one at the log end. The sealed file is fsynced before
   * anything is written to the new one, so a crash never leaves a sealed segment with a torn tail.
   */
  #roll(): void {
    const old = this.#active
    try {
      old.persistIndexes(true)
      this.#hooks.syncDataSync(old.fd)
    } catch (err) {
      const error = storageError(`sealing ${old.logPath} failed`, err)
      this.#commit.fail(error)
      throw error
    }
    this.#dirty.delete(old)
    let seg: LogSegment
    try {
      seg = LogSegment.create(this.dir, this.#logEndOffset)
    } catch (err) {
      throw storageError(`creating a segment at offset ${this.#logEndOffset} in ${this.dir} failed`, err)
    }
    this.#segments.push(seg)
    this.#dirDirty = true
    // Once the sealed segment's indexes are on disk, an unclean restart need not re-validate it.
    this.#background = this.#background
      .then(async () => {
        await old.syncIndexes(this.#hooks.syncData)
        await this.#hooks.syncDir(this.dir)
        this.#recoveryPoint = Math.max(this.#recoveryPoint, seg.baseOffset)
        await this.#saveCheckpoint()
      })
      .catch((err: unknown) => this.#commit.fail(storageError(`syncing sealed segment ${old.logPath} failed`, err)))
  }

  /** One group-commit round: fsync every file written since the last round. */
  async #syncRound(): Promise<number> {
    const covered = this.#logEndOffset
    const segments = [...this.#dirty]
    this.#dirty.clear()
    const dirDirty = this.#dirDirty
    this.#dirDirty = false
    const sync = this.#hooks.syncData
    await Promise.all(segments.map((seg) => seg.syncWith(sync)))
    if (dirDirty) await this.#hooks.syncDir(this.dir)
    return covered
  }

  #onDurable(offset: number): void {
    if (this.#config.flush.mode === 'fsync') this.#advanceHighWatermark(Math.min(offset, this.#logEndOffset))
  }

  #advanceHighWatermark(offset: number): void {
    if (offset <= this.#highWatermark) return
    this.#highWatermark = offset
    for (const listener of this.#listeners) {
      try {
        listener()
      } catch {
        // A listener's failure is its own; the other listeners still hear the news.
      }
    }
  }

  #armTimer(): void {
    const flush = this.#config.flush
    if (flush.mode !== 'interval' || this.#closing) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      if (this.#closing) return
      this.#commit.request()
      this.#armTimer()
    }, flush.intervalMs)
  }

  #segmentIndexFor(offset: number): number {
    let lo = 0
    let hi = this.#segments.length - 1
    let found = 0
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#segments[mid] as LogSegment).baseOffset <= offset) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }

  #saveCheckpoint(): Promise<void> {
    const write = this.#checkpoints.then(() =>
      writeLogCheckpoint(this.dir, { logStartOffset: this.#logStartOffset, recoveryPoint: this.#recoveryPoint }, this.#hooks),
    )
    this.#checkpoints = write.catch(() => undefined)
    return write.catch((err: unknown) => {
      const error = storageError(`writing the checkpoint of ${this.dir} failed`, err)
      this.#commit.fail(error)
      throw error
    })
  }

  async #maintain(now: number): Promise<number> {
    if (this.#closing || this.#commit.failure !== undefined) return 0
    await this.#background
    const config = this.#config
    const active = this.#active
    if (active.size > 0 && (now - active.rollAnchorMs >= config.segmentMs || (isDeleting(config) && activeSegmentExpired(active, config, now)))) {
      this.#roll()
      // Let the sealed segment's index sync finish before compaction may swap those files.
      await this.#background
    }
    let deleted = 0
    if (isDeleting(config)) {
      deleted = segmentsToDelete(this.#segments, config, now, this.#highWatermark)
      if (deleted > 0) await this.#deleteOldest(deleted)
    }
    if (isCompacted(config) && this.#segments.length > 1) {
      const sealed = this.#segments.slice(0, -1)
      await compactSegments(sealed, config, now, this.#hooks, this.#compaction)
    }
    return deleted
  }

  async #deleteOldest(n: number): Promise<void> {
    const doomed = this.#segments.splice(0, n)
    this.#logStartOffset = Math.max(this.#logStartOffset, (this.#segments[0] as LogSegment).baseOffset)
    for (const seg of doomed) this.#dirty.delete(seg)
    // The new log start is durable before the files go, so a crash in between cannot resurrect them.
    await this.#saveCheckpoint()
    try {
      for (const seg of doomed) seg.deleteFiles()
      await this.#hooks.syncDir(this.dir)
    } catch (err) {
      throw storageError(`deleting old segments of ${this.dir} failed`, err)
    }
  }
}

/** LogAppendTime: the broker's time becomes the batch's max timestamp; the CRC covers it, so recompute. */
function stampLogAppendTime(buf: Buffer, pos: number, size: number, now: number): void {
  const attributes = buf.readInt16BE(pos + BatchOffsets.attributes)
  buf.writeInt16BE(attributes | Attributes.TIMESTAMP_LOG_APPEND, pos + BatchOffsets.attributes)
  buf.writeBigInt64BE(BigInt(now), pos + BatchOffsets.maxTimestamp)
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + BatchOffsets.crc)
}

/**
 * Opens (or creates) the partition log in `dir`, recovering it first when it was not closed cleanly.
 * A second open of the same directory in this process fails with LOG_LOCKED.
 */
export async function openPartitionLog(dir: string, config: LogConfig, options: OpenLogOptions): Promise<FilePartitionLog> {
  validateLogConfig(config)
  const resolved = path.resolve(dir)
  if (openDirs.has(resolved)) {
    throw new TributaryError(ErrorCode.LOG_LOCKED, `partition log ${resolved} is already open in this process (pid ${process.pid})`)
  }
  openDirs.add(resolved)
  try {
    const hooks = options.fsyncHooks ?? defaultFsyncHooks
    const loaded = await loadLog(resolved, config.indexIntervalBytes, options.clock.now(), hooks)
    const copy = { ...config, flush: { ...config.flush } }
    return new FilePartitionLog(resolved, copy, options.clock, hooks, loaded.segments, loaded.logStartOffset, loaded.report)
  } catch (err) {
    openDirs.delete(resolved)
    if (err instanceof TributaryError) throw err
    throw storageError(`opening partition log ${resolved} failed`, err)
  }
}
