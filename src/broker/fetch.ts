/**
 * @module Fetch: whole stored batches per partition under per-partition and response-wide byte
 * limits, and the long poll that waits for `minBytes`. Waiting registers on each log's onAppend
 * listener and one clock timer: no polling. Per-partition problems (unknown topic, offset out of
 * range) are reported in that partition's result, as Kafka does, rather than failing the request.
 */
import { type Clock } from '../util/clock.ts'
import { type ReadBuffers } from '../log/types.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../util/errors.ts'
import { BatchOffsets, LOG_OVERHEAD } from '../protocol/records/batch-header.ts'
import { type FetchOptions, type FetchPartitionRequest, type FetchPartitionResult } from './types.ts'
import { type PartitionRuntime } from './topic-manager.ts'

const EMPTY = Buffer.alloc(0)

export interface FetchDeps {
  clock: Clock
  /** The open partition or a TributaryError (UNKNOWN_TOPIC, UNKNOWN_PARTITION). */
  partition(topic: string, partition: number): PartitionRuntime
  /** Aborted when the broker closes: waiting fetches answer with what they have. */
  closing: AbortSignal
}

interface ReadOutcome {
  results: FetchPartitionResult[]
  bytes: number
  errors: boolean
  /** Partitions that exist, for waiting on their appends. */
  partitions: PartitionRuntime[]
}

function isNonNegativeInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}

export function validateFetch(requests: readonly FetchPartitionRequest[], options: FetchOptions): void {
  const bad = (what: string): TributaryError => new TributaryError(ErrorCode.INVALID_ARGUMENT, `invalid fetch: ${what}`)
  if (!Array.isArray(requests)) throw bad('requests must be an array')
  if (!isNonNegativeInt(options.maxWaitMs)) throw bad(`maxWaitMs ${options.maxWaitMs} is not a non-negative integer`)
  if (!isNonNegativeInt(options.minBytes)) throw bad(`minBytes ${options.minBytes} is not a non-negative integer`)
  if (!isNonNegativeInt(options.maxBytes)) throw bad(`maxBytes ${options.maxBytes} is not a non-negative integer`)
  for (const r of requests) {
    if (typeof r.topic !== 'string') throw bad('topic must be a string')
    if (!Number.isSafeInteger(r.offset)) throw bad(`offset ${r.offset} of ${r.topic}-${r.partition} is not an integer`)
    if (!isNonNegativeInt(r.maxBytes)) throw bad(`maxBytes ${r.maxBytes} of ${r.topic}-${r.partition} is not a non-negative integer`)
  }
}

/** Whole batches of `records` that fit in `limit` bytes (possibly none). */
function trimToWholeBatches(records: Buffer, limit: number): Buffer {
  if (records.length <= limit) return records
  let pos = 0
  while (pos + LOG_OVERHEAD <= records.length) {
    const size = records.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
    if (pos + size > limit) break
    pos += size
  }
  return pos === 0 ? EMPTY : records.subarray(0, pos)
}

function errorResult(r: FetchPartitionRequest, e: TributaryError, hw = -1, logStart = -1): FetchPartitionResult {
  return {
    topic: r.topic,
    partition: r.partition,
    records: EMPTY,
    highWatermark: hw,
    logStartOffset: logStart,
    error: { code: e.code, message: e.message },
  }
}

/**
 * One pass over the requested partitions. Only the first batch of the first non-empty partition may
 * exceed the limits (so a consumer always progresses); later partitions get whole batches within
 * min(their maxBytes, what is left of the response's maxBytes).
 */
export function readPartitions(deps: FetchDeps, requests: readonly FetchPartitionRequest[], maxBytes: number, buffers?: ReadBuffers): ReadOutcome {
  const results: FetchPartitionResult[] = []
  const partitions: PartitionRuntime[] = []
  let bytes = 0
  let errors = false
  for (const r of requests) {
    let p: PartitionRuntime
    try {
      p = deps.partition(r.topic, r.partition)
    } catch (e) {
      if (!isTributaryError(e)) throw e
      results.push(errorResult(r, e))
      errors = true
      continue
    }
    partitions.push(p)
    const log = p.log
    const first = bytes === 0
    const limit = Math.min(r.maxBytes, maxBytes - bytes)
    try {
      let records: Buffer
      let highWatermark: number
      let logStartOffset: number
      if (limit <= 0 && !first) {
        // Nothing fits: skip the read but still report range errors, as a read would.
        if (r.offset < log.logStartOffset || r.offset > log.logEndOffset) {
          throw new TributaryError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${r.offset} is outside [${log.logStartOffset}, ${log.logEndOffset}] of ${r.topic}-${r.partition}`)
        }
        records = EMPTY
        highWatermark = log.highWatermark
        logStartOffset = log.logStartOffset
      } else {
        const read = log.read(r.offset, Math.max(limit, 1), buffers)
        records = first ? read.records : trimToWholeBatches(read.records, limit)
        highWatermark = read.highWatermark
        logStartOffset = read.logStartOffset
      }
      bytes += records.length
      results.push({ topic: r.topic, partition: r.partition, records, highWatermark, logStartOffset })
    } catch (e) {
      if (!isTributaryError(e)) throw e
      results.push(errorResult(r, e, log.highWatermark, log.logStartOffset))
      errors = true
    }
  }
  return { results, bytes, errors, partitions }
}

/**
 * Reads now; if fewer than minBytes are there (and no partition has an error), waits for appends
 * until minBytes arrive, maxWaitMs passes, the broker closes (answering with what there is) or
 * the signal aborts (rejecting with ABORTED).
 */
export function longPollFetch(deps: FetchDeps, requests: readonly FetchPartitionRequest[], options: FetchOptions): Promise<FetchPartitionResult[]> {
  validateFetch(requests, options)
  const signal = options.signal
  if (signal?.aborted === true) return Promise.reject(new TributaryError(ErrorCode.ABORTED, 'the fetch was aborted', { cause: signal.reason }))
  const initial = readPartitions(deps, requests, options.maxBytes, options.readBuffers)
  const satisfied = (o: ReadOutcome): boolean => o.bytes >= options.minBytes || o.errors
  if (satisfied(initial) || options.maxWaitMs === 0 || initial.partitions.length === 0 || deps.closing.aborted) {
    return Promise.resolve(initial.results)
  }
  return new Promise((resolve, reject) => {
    let done = false
    let scheduled = false
    const unsubscribe: (() => void)[] = []
    const cleanup = (): void => {
      done = true
      timer.cancel()
      for (const off of unsubscribe) off()
      signal?.removeEventListener('abort', onAbort)
      deps.closing.removeEventListener('abort', onClosing)
    }
    const finish = (): void => {
      if (done) return
      cleanup()
      try {
        resolve(readPartitions(deps, requests, options.maxBytes, options.readBuffers).results)
      } catch (e) {
        reject(e)
      }
    }
    const recheck = (): void => {
      scheduled = false
      if (done) return
      try {
        const outcome = readPartitions(deps, requests, options.maxBytes, options.readBuffers)
        if (!satisfied(outcome)) return
        cleanup()
        resolve(outcome.results)
      } catch (e) {
        cleanup()
        reject(e)
      }
    }
    // Appends arrive in bursts: coalesce them into one re-read per microtask turn.
    const onAppend = (): void => {
      if (done || scheduled) return
      scheduled = true
      queueMicrotask(recheck)
    }
    const onAbort = (): void => {
      if (done) return
      cleanup()
      reject(new TributaryError(ErrorCode.ABORTED, 'the fetch was aborted', { cause: signal?.reason }))
    }
    const onClosing = (): void => finish()
    const timer = deps.clock.setTimeout(finish, options.maxWaitMs)
    for (const p of initial.partitions) unsubscribe.push(p.log.onAppend(onAppend))
    signal?.addEventListener('abort', onAbort, { once: true })
    deps.closing.addEventListener('abort', onClosing, { once: true })
  })
}
