/**
 * @module The contract of the partition log. A partition is a directory of segments holding
 * RecordBatch v2 bytes exactly as produced (offsets assigned in place), with sparse offset and
 * time indexes. The broker sees only this interface.
 */

/**
 * When appended data is forced to disk, and so when an append is acknowledged:
 * - `fsync` (default): the append resolves after fsync; concurrent appends share one fsync (group commit).
 * - `interval`: the append resolves after the write; a timer fsyncs every `intervalMs`. A crash may lose
 *   what was acknowledged within the last interval.
 * - `never`: the OS decides when to write back; a machine crash may lose any unflushed data.
 */
export type FlushPolicy = { mode: 'fsync' } | { mode: 'interval'; intervalMs: number } | { mode: 'never' }

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete'
export type MessageTimestampType = 'CreateTime' | 'LogAppendTime'

export interface LogConfig {
  /** Roll to a new segment when the active one reaches this size. Kafka: segment.bytes. */
  segmentBytes: number
  /** Roll when the active segment's first batch is older than this. Kafka: segment.ms. */
  segmentMs: number
  /** Delete whole segments older than this (-1: keep forever). Kafka: retention.ms. */
  retentionMs: number
  /** Delete oldest whole segments while the partition is larger than this (-1: no limit). */
  retentionBytes: number
  cleanupPolicy: CleanupPolicy
  /** How long compaction keeps tombstones (null values) before dropping them. */
  deleteRetentionMs: number
  /** Largest batch accepted by append. Kafka: max.message.bytes. */
  maxMessageBytes: number
  /** Bytes of log between two sparse index entries. */
  indexIntervalBytes: number
  messageTimestampType: MessageTimestampType
  flush: FlushPolicy
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 128 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 24 * 3600 * 1000,
  maxMessageBytes: 1024 * 1024 + 12,
  indexIntervalBytes: 4096,
  messageTimestampType: 'CreateTime',
  flush: { mode: 'fsync' },
}

export interface AppendResult {
  /** Offset assigned to the first record of the first appended batch. */
  baseOffset: number
  /** Offset of the last record appended. */
  lastOffset: number
  /** The broker time stamped on the batches for LogAppendTime topics, else -1. */
  logAppendTime: number
  logStartOffset: number
}

/**
 * Where a read gets its buffer: a caller that knows when it is done with the bytes (the Kafka server,
 * once the response is written) can hand buffers back and out again, so that serving fetches does not
 * allocate a fresh ArrayBuffer per read (each one adds to V8's external memory and brings the next
 * full GC closer).
 */
export interface ReadBuffers {
  /** A buffer of exactly `length` bytes, not in use by anyone else until its owner releases it. */
  take(length: number): Buffer
}

export interface ReadResult {
  /** Whole batches, concatenated as stored; empty when there is nothing at or after the offset. */
  records: Buffer
  /** First offset not readable yet (the durable end of the log). */
  highWatermark: number
  logStartOffset: number
}

export interface AppendOptions {
  /** Accept control batches (transaction markers). Only the broker's own markers set this. */
  allowControl?: boolean
}

export interface CloseOptions {
  /**
   * Default true: flush everything, write the indexes and mark the partition cleanly shut down, so the
   * next open trusts the files. False closes at once like a crash would (pending appends fail with
   * CLOSED; the next open recovers).
   */
  clean?: boolean
}

export interface TimestampOffset {
  offset: number
  timestamp: number
}

export interface PartitionLog {
  readonly dir: string
  readonly config: LogConfig
  readonly logStartOffset: number
  /** Next offset to be assigned. */
  readonly logEndOffset: number
  /** End of what consumers may read: durable data only in `fsync` mode, everything written otherwise. */
  readonly highWatermark: number
  /** Total bytes on disk across segments. */
  readonly sizeInBytes: number

  /**
   * Appends one or more RecordBatch v2 byte sequences (concatenated), assigning offsets in place.
   * Validates framing, magic, CRC and size first: on any error it throws and the log is unchanged.
   * Resolves according to the flush policy.
   */
  append(batches: Buffer, options?: AppendOptions): Promise<AppendResult>

  /**
   * Reads whole batches starting with the one that contains `offset`, up to `maxBytes`
   * (at least one whole batch is returned even when it alone exceeds `maxBytes`), never past the
   * high watermark. Throws OFFSET_OUT_OF_RANGE for an offset below the log start or above the end.
   * The bytes are read into buffers from `buffers` when given, else into fresh ones.
   */
  read(offset: number, maxBytes: number, buffers?: ReadBuffers): ReadResult

  /** The first offset whose batch max timestamp is >= `timestamp`, from the time index. */
  offsetForTimestamp(timestamp: number): TimestampOffset | undefined

  /** Applies retention, segment age rolling and compaction due at `now`; returns segments deleted. */
  runMaintenance(now: number): Promise<number>

  /** Changes configuration at run time (topic alter). */
  updateConfig(config: LogConfig): void

  /** Registers a callback for when the high watermark advances (long-poll fetches wait on it). */
  onAppend(listener: () => void): () => void

  /** Forces everything written to disk. */
  flush(): Promise<void>
  /** Flushes and closes files; with `clean` (the default) the partition is marked cleanly shut down. */
  close(options?: CloseOptions): Promise<void>
}
