/**
 * @module Which partition each record of a send goes to, as Kafka's producer decides: the explicit
 * partition, else murmur2 of the key, else keyless spreading (sticky: one partition per send;
 * round-robin: the next one per record). Shared by the embedded producer and the remote producer
 * (which encodes its batches in the worker thread), so both place records alike.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { partitionForKey } from '../../util/murmur2.ts'
import { type ProducerRecord } from '../types.ts'

/** Partition counts as the producer last saw them (cached, refreshed when a partition looks out of range). */
export interface PartitionCounts {
  partitionCount(topic: string, fresh?: boolean): Promise<number>
  checkPartition(topic: string, partition: number): Promise<void>
}

export interface PartitionBatch {
  topic: string
  partition: number
  records: ProducerRecord[]
}

export function unknownPartition(topic: string, partition: number): TributaryError {
  return new TributaryError(ErrorCode.UNKNOWN_PARTITION, `topic "${topic}" has no partition ${partition}`)
}

export class Partitioner {
  readonly #counts: PartitionCounts
  readonly #roundRobin: boolean
  /** Next keyless partition per topic, so successive sends spread over the partitions. */
  readonly #keylessNext = new Map<string, number>()

  constructor(counts: PartitionCounts, keyless: 'sticky' | 'round-robin' | undefined) {
    this.#counts = counts
    this.#roundRobin = keyless === 'round-robin'
  }

  /** Splits records into per-partition lists, in send order; validates topics and partitions first. */
  async group(records: readonly ProducerRecord[]): Promise<PartitionBatch[]> {
    const counts = new Map<string, number>()
    for (const r of records) {
      if (typeof r.topic !== 'string') throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'record has no topic')
      if (!counts.has(r.topic)) counts.set(r.topic, await this.#counts.partitionCount(r.topic))
      if (r.partition === undefined) continue
      if (!Number.isInteger(r.partition) || r.partition < 0) throw unknownPartition(r.topic, r.partition)
      if (r.partition >= (counts.get(r.topic) as number)) {
        // The topic may have grown since its partition count was cached.
        await this.#counts.checkPartition(r.topic, r.partition)
        counts.set(r.topic, await this.#counts.partitionCount(r.topic))
      }
    }
    const byTopic = new Map<string, (PartitionBatch | undefined)[]>()
    const sticky = new Map<string, number>()
    const out: PartitionBatch[] = []
    for (const r of records) {
      const count = counts.get(r.topic) as number
      let partition = r.partition
      if (partition === undefined) {
        if (r.key !== undefined && r.key !== null) {
          partition = partitionForKey(typeof r.key === 'string' ? Buffer.from(r.key) : r.key, count)
        } else if (this.#roundRobin) {
          partition = this.#nextKeyless(r.topic, count)
        } else {
          partition = sticky.get(r.topic)
          if (partition === undefined) {
            partition = this.#nextKeyless(r.topic, count)
            sticky.set(r.topic, partition)
          }
        }
      }
      let slots = byTopic.get(r.topic)
      if (slots === undefined) {
        slots = []
        byTopic.set(r.topic, slots)
      }
      let batch = slots[partition]
      if (batch === undefined) {
        batch = { topic: r.topic, partition, records: [] }
        slots[partition] = batch
        out.push(batch)
      }
      batch.records.push(r)
    }
    return out
  }

  #nextKeyless(topic: string, count: number): number {
    const next = this.#keylessNext.get(topic) ?? Math.floor(Math.random() * count)
    this.#keylessNext.set(topic, next + 1)
    return next % count
  }
}

const MAX_AGE_MS = 5000

/**
 * Partition counts loaded on demand and cached briefly (as Kafka clients cache metadata), so a send
 * does not describe the topic every time; refreshed when a partition looks out of range, so a topic
 * grown by the admin is seen at once. `load` throws UNKNOWN_TOPIC for a topic that does not exist; `fresh` asks it to skip any cache of its own.
 */
export class PartitionCountCache implements PartitionCounts {
  readonly #load: (topic: string, fresh: boolean) => Promise<number>
  readonly #now: () => number
  readonly #cache = new Map<string, { partitions: number; at: number }>()

  constructor(load: (topic: string, fresh: boolean) => Promise<number>, now: () => number) {
    this.#load = load
    this.#now = now
  }

  async partitionCount(topic: string, fresh = false): Promise<number> {
    const now = this.#now()
    const cached = this.#cache.get(topic)
    if (!fresh && cached !== undefined && now - cached.at < MAX_AGE_MS) return cached.partitions
    try {
      const partitions = await this.#load(topic, fresh)
      this.#cache.set(topic, { partitions, at: now })
      return partitions
    } catch (err) {
      this.#cache.delete(topic)
      throw err
    }
  }

  /** Throws UNKNOWN_TOPIC / UNKNOWN_PARTITION unless topic-partition exists (refreshing once if needed). */
  async checkPartition(topic: string, partition: number): Promise<void> {
    if (!Number.isInteger(partition) || partition < 0) throw unknownPartition(topic, partition)
    if (partition < (await this.partitionCount(topic))) return
    if (partition < (await this.partitionCount(topic, true))) return
    throw unknownPartition(topic, partition)
  }

  forget(topic: string): void {
    this.#cache.delete(topic)
  }
}
