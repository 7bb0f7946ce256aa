/**
 * @module Shared fixtures for the log's tests: temp directories, batches built with the real encoder,
 * reading a whole log back, fsync hooks that count calls, and directory snapshots to prove a failed
 * operation changed nothing.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type DecodedRecord, decodeRecordBatch, encodeRecordBatch, type EncodeBatchOptions, type RecordInput } from '../protocol/records/record-batch.ts'
import { BatchOffsets, LOG_OVERHEAD } from '../protocol/records/batch-header.ts'
import { defaultFsyncHooks, type FsyncHooks } from './durable-io.ts'
import { DEFAULT_LOG_CONFIG, type LogConfig, type PartitionLog } from './types.ts'

export function tempDir(prefix = 'tributary-log-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
}

export function testConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, retentionMs: -1, ...overrides }
}

/** A batch of records with string values (and keys when given as [key, value] pairs). */
export function batchOf(values: readonly (string | [string, string | null])[], options: EncodeBatchOptions = {}): Buffer {
  const records: RecordInput[] = values.map((v) => (typeof v === 'string' ? { value: v } : { key: v[0], value: v[1] }))
  return encodeRecordBatch(records, { timestamp: 1_000, ...options })
}

export interface StoredBatch {
  baseOffset: number
  lastOffset: number
  attributes: number
  records: DecodedRecord[]
}

/** Splits stored bytes into decoded batches (validating every CRC). */
export function decodeBatches(buf: Buffer): StoredBatch[] {
  const out: StoredBatch[] = []
  for (let pos = 0; pos < buf.length; ) {
    const { header, records } = decodeRecordBatch(buf, pos)
    out.push({ baseOffset: header.baseOffset, lastOffset: header.baseOffset + header.lastOffsetDelta, attributes: header.attributes, records })
    pos += header.sizeInBytes
  }
  return out
}

/** Every batch from the log start up to the high watermark, read in chunks of `maxBytes`. */
export function readAllBatches(log: PartitionLog, maxBytes = 64 * 1024): StoredBatch[] {
  const out: StoredBatch[] = []
  let offset = log.logStartOffset
  while (offset < log.highWatermark) {
    const { records } = log.read(offset, maxBytes)
    if (records.length === 0) break
    const batches = decodeBatches(records)
    out.push(...batches)
    offset = (batches.at(-1) as StoredBatch).lastOffset + 1
  }
  return out
}

export function readAllRecords(log: PartitionLog): DecodedRecord[] {
  return readAllBatches(log).flatMap((b) => b.records)
}

export function valueOf(r: DecodedRecord): string | null {
  return r.value === null ? null : r.value.toString()
}

/** Sizes of the batches concatenated in `buf`. */
export function batchSizes(buf: Buffer): number[] {
  const sizes: number[] = []
  for (let pos = 0; pos < buf.length; ) {
    const size = buf.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
    sizes.push(size)
    pos += size
  }
  return sizes
}

export interface CountingHooks extends FsyncHooks {
  dataSyncs: number
  dirSyncs: number
}

/** Real fsyncs, counted. */
export function countingHooks(): CountingHooks {
  const hooks: CountingHooks = {
    dataSyncs: 0,
    dirSyncs: 0,
    syncData: async (fd) => {
      hooks.dataSyncs++
      await defaultFsyncHooks.syncData(fd)
    },
    syncDataSync: (fd) => {
      hooks.dataSyncs++
      defaultFsyncHooks.syncDataSync(fd)
    },
    syncDir: async (dir) => {
      hooks.dirSyncs++
      await defaultFsyncHooks.syncDir(dir)
    },
  }
  return hooks
}

/** Every file of `dir` with its bytes. */
export function snapshotDir(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>()
  for (const name of fs.readdirSync(dir).sort()) files.set(name, fs.readFileSync(path.join(dir, name)))
  return files
}

export function segmentFiles(dir: string, suffix = '.log'): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith(suffix)).sort()
}
