/**
 * @module Partition counts of topics as the embedded client last saw them. Cached briefly (as
 * Kafka clients cache metadata) so a send does not describe the topic every time; refreshed on
 * demand when a partition looks out of range, so a topic grown by the admin is seen at once.
 */
import { type Broker } from '../../broker/broker.ts'
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'

const MAX_AGE_MS = 5000

interface Entry {
  partitions: number
  at: number
}

export class TopicMetadata {
  readonly #broker: Broker
  readonly #clock: Clock
  readonly #cache = new Map<string, Entry>()

  constructor(broker: Broker, clock: Clock) {
    this.#broker = broker
    this.#clock = clock
  }

  /** Partition count of `topic`; throws UNKNOWN_TOPIC when it does not exist. */
  async partitionCount(topic: string, fresh = false): Promise<number> {
    const now = this.#clock.now()
    const cached = this.#cache.get(topic)
    if (!fresh && cached !== undefined && now - cached.at < MAX_AGE_MS) return cached.partitions
    if (!(await this.#broker.hasTopic(topic))) {
      this.#cache.delete(topic)
      throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `unknown topic "${topic}"`)
    }
    const partitions = (await this.#broker.describeTopic(topic)).partitions.length
    this.#cache.set(topic, { partitions, at: now })
    return partitions
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

export function unknownPartition(topic: string, partition: number): TributaryError {
  return new TributaryError(ErrorCode.UNKNOWN_PARTITION, `topic "${topic}" has no partition ${partition}`)
}
