/**
 * @module A group's committed offsets: validation of commits against the topics, durable writes
 * through the offsets store in per-group order, the in-memory view they update, and lag. The
 * coordinator decides who may commit; this module decides what a commit may contain and keeps it.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { decodeSubscription } from '../../protocol/consumer-protocol.ts'
import { type CommittedOffset, type GroupPartitionLag, type OffsetCommitEntry, type TopicPartition } from '../types.ts'
import { type Group, offsetKey } from './group.ts'
import { type OffsetWrite } from './offsets-codec.ts'

/** Durable storage of offset commits (the `__consumer_offsets` topic). */
export interface OffsetsWriter {
  /** Appends the writes of one group; resolves once durable with the log offset of the first one. */
  write(groupId: string, writes: readonly OffsetWrite[]): Promise<number>
}

/** What offsets need to know about topics: validation of commits and lag. */
export interface PartitionLookup {
  partitionCount(topic: string): number | undefined
  partitionOffsets(topic: string, partition: number): { logStartOffset: number; highWatermark: number } | undefined
}

export class GroupOffsets {
  readonly #store: OffsetsWriter
  readonly #partitions: PartitionLookup
  readonly #metadataMaxBytes: number

  constructor(store: OffsetsWriter, partitions: PartitionLookup, metadataMaxBytes: number) {
    this.#store = store
    this.#partitions = partitions
    this.#metadataMaxBytes = metadataMaxBytes
  }

  /** Checks every entry of a commit (topic, partition, offset, metadata size, no repeats). */
  validate(entries: readonly OffsetCommitEntry[]): void {
    const seen = new Set<string>()
    for (const { topic, partition, offset, metadata } of entries) {
      const count = this.#partitions.partitionCount(topic)
      if (count === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `topic '${topic}' does not exist`)
      if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
        throw new TributaryError(ErrorCode.UNKNOWN_PARTITION, `topic '${topic}' has no partition ${partition}`)
      }
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `offset ${offset} for ${topic}-${partition} is not a non-negative integer`)
      }
      if (metadata !== undefined && metadata !== null && Buffer.byteLength(metadata, 'utf8') > this.#metadataMaxBytes) {
        throw new TributaryError(ErrorCode.OFFSET_METADATA_TOO_LARGE, `offset metadata for ${topic}-${partition} is longer than ${this.#metadataMaxBytes} bytes`)
      }
      const key = offsetKey(topic, partition)
      if (seen.has(key)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `partition ${topic}-${partition} appears twice in one commit`)
      seen.add(key)
    }
  }

  /**
   * Appends the group's writes after its earlier ones (computed when their turn comes, so a delete
   * sees every commit before it) and applies them to the group once durable.
   */
  write(group: Group, compute: () => OffsetWrite[]): Promise<void> {
    const run = group.writeTail.then(async () => {
      const writes = compute()
      if (writes.length === 0) return
      const base = await this.#store.write(group.groupId, writes)
      writes.forEach((w, i) => applyOffsetWrite(group, w, base + i))
    })
    group.writeTail = run.catch(() => undefined)
    return run
  }

  /** Tombstones for the group's offsets, all of them or those of one topic. */
  tombstones(group: Group, topic?: string): OffsetWrite[] {
    const out: OffsetWrite[] = []
    for (const e of group.offsets.values()) if (topic === undefined || e.topic === topic) out.push({ topic: e.topic, partition: e.partition, value: null })
    return out
  }

  /** All committed offsets (sorted), or those of the given partitions (-1 where none). */
  fetch(group: Group | undefined, partitions?: readonly TopicPartition[]): CommittedOffset[] {
    const offsets = group === undefined || group.is('Dead') ? undefined : group.offsets
    if (partitions === undefined) {
      if (offsets === undefined) return []
      return [...offsets.values()]
        .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
        .map((e) => ({ topic: e.topic, partition: e.partition, offset: e.offset, metadata: e.metadata }))
    }
    return partitions.map((tp) => {
      const e = offsets?.get(offsetKey(tp.topic, tp.partition))
      return { topic: tp.topic, partition: tp.partition, offset: e?.offset ?? -1, metadata: e?.metadata ?? null }
    })
  }

  /**
   * Every partition of the topics the group committed to or (consumer protocol) subscribes to: the
   * committed offset, the high watermark, and the lag between them (from the log start without a commit).
   */
  lag(group: Group): GroupPartitionLag[] {
    const topics = new Set<string>()
    for (const e of group.offsets.values()) topics.add(e.topic)
    if (group.protocolType === 'consumer') {
      for (const m of group.members.values()) {
        const metadata = m.metadataFor(group.protocolName ?? m.protocols[0]?.name ?? null)
        try {
          for (const t of decodeSubscription(metadata).topics) topics.add(t)
        } catch {
          // Not Kafka's consumer protocol after all: only committed topics count.
        }
      }
    }
    const out: GroupPartitionLag[] = []
    for (const topic of [...topics].sort()) {
      const count = this.#partitions.partitionCount(topic) ?? 0
      for (let partition = 0; partition < count; partition++) {
        const offsets = this.#partitions.partitionOffsets(topic, partition)
        if (offsets === undefined) continue
        const e = group.offsets.get(offsetKey(topic, partition))
        const committed = e?.offset ?? -1
        const from = committed >= 0 ? committed : offsets.logStartOffset
        out.push({
          topic,
          partition,
          committedOffset: committed,
          logEndOffset: offsets.highWatermark,
          lag: Math.max(0, offsets.highWatermark - from),
          metadata: e?.metadata ?? null,
        })
      }
    }
    return out
  }
}

/** Applies one write in log order: an older record never overwrites a newer one. */
export function applyOffsetWrite(group: Group, w: OffsetWrite, logOffset: number): void {
  const key = offsetKey(w.topic, w.partition)
  const existing = group.offsets.get(key)
  if (existing !== undefined && existing.logOffset > logOffset) return
  if (w.value === null) group.offsets.delete(key)
  else group.offsets.set(key, { topic: w.topic, partition: w.partition, ...w.value, logOffset })
}
