/**
 * @module Checks a LogConfig before a log uses it: a bad value fails loudly at open or alter time
 * instead of surfacing later as odd rolls, int32 index overflows or a timer firing every millisecond.
 */
import { BATCH_OVERHEAD } from '../protocol/records/batch-header.ts'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { type LogConfig } from './types.ts'

/** Index positions are int32, so no segment may pass 2 GiB. */
export const MAX_SEGMENT_BYTES = 0x7fffffff

function invalid(message: string): TributaryError {
  return new TributaryError(ErrorCode.INVALID_CONFIG, message)
}

function integerIn(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer in [${min}, ${max}], got ${value}`)
  }
}

export function validateLogConfig(config: LogConfig): void {
  integerIn('segmentBytes', config.segmentBytes, BATCH_OVERHEAD, MAX_SEGMENT_BYTES)
  integerIn('segmentMs', config.segmentMs, 1)
  integerIn('retentionMs', config.retentionMs, -1)
  integerIn('retentionBytes', config.retentionBytes, -1)
  integerIn('deleteRetentionMs', config.deleteRetentionMs, 0)
  integerIn('maxMessageBytes', config.maxMessageBytes, BATCH_OVERHEAD, MAX_SEGMENT_BYTES)
  integerIn('indexIntervalBytes', config.indexIntervalBytes, 0, MAX_SEGMENT_BYTES)
  if (!['delete', 'compact', 'compact,delete'].includes(config.cleanupPolicy)) {
    throw invalid(`cleanupPolicy must be delete, compact or compact,delete, got ${String(config.cleanupPolicy)}`)
  }
  if (config.messageTimestampType !== 'CreateTime' && config.messageTimestampType !== 'LogAppendTime') {
    throw invalid(`messageTimestampType must be CreateTime or LogAppendTime, got ${String(config.messageTimestampType)}`)
  }
  const flush = config.flush
  if (flush.mode === 'interval') integerIn('flush.intervalMs', flush.intervalMs, 1)
  else if (flush.mode !== 'fsync' && flush.mode !== 'never') {
    throw invalid(`flush.mode must be fsync, interval or never, got ${String((flush as { mode: unknown }).mode)}`)
  }
}

export function isCompacted(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'delete'
}

export function isDeleting(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'compact'
}
