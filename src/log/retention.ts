/**
 * @module Which segments retention deletes: always a prefix of whole sealed segments (the log start
 * moves to the next segment's base), never the active segment and never data above the high watermark
 * (it is not acknowledged yet, and the log start must not pass it).
 */
import { type LogConfig } from './types.ts'

export interface RetentionSegment {
  baseOffset: number
  nextOffset: number
  size: number
  /** Largest batch max timestamp in the segment, -1 when it has none. */
  maxTimestamp: number
}

/** How many leading segments retention removes at `now`. `segments` ends with the active one. */
export function segmentsToDelete(segments: readonly RetentionSegment[], config: LogConfig, now: number, highWatermark: number): number {
  let deletable = 0
  while (deletable < segments.length - 1 && (segments[deletable] as RetentionSegment).nextOffset <= highWatermark) deletable++
  let byTime = 0
  if (config.retentionMs >= 0) {
    const cutoff = now - config.retentionMs
    while (byTime < deletable && (segments[byTime] as RetentionSegment).maxTimestamp < cutoff) byTime++
  }
  let bySize = 0
  if (config.retentionBytes >= 0) {
    let total = 0
    for (const seg of segments) total += seg.size
    while (bySize < deletable && total > config.retentionBytes) {
      total -= (segments[bySize] as RetentionSegment).size
      bySize++
    }
  }
  return Math.max(byTime, bySize)
}

/** True when every batch in the (non-empty) active segment is past retention, so it should be rolled and dropped. */
export function activeSegmentExpired(active: RetentionSegment, config: LogConfig, now: number): boolean {
  return config.retentionMs >= 0 && active.size > 0 && active.maxTimestamp < now - config.retentionMs
}
