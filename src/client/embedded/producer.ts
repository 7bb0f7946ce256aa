/**
 * @module The embedded producer: groups a send's records by partition, encodes one RecordBatch per
 * partition and appends it through the broker. Records are handed to the encoder as given (no copy).
 */
import { type Broker } from '../../broker/broker.ts'
import { encodeRecordBatch } from '../../protocol/records/record-batch.ts'
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import { partitionForKey } from '../../util/murmur2.ts'
import { type Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata, type SendOptions } from '../types.ts'
import { type TopicMetadata, unknownPartition } from './metadata.ts'

interface PartitionBatch {
  topic: string
  partition: number
  records: ProducerRecord[]
}

export class EmbeddedProducer implements Producer {
  readonly #broker: Broker
  readonly #metadata: TopicMetadata
  readonly #clock: Clock
  readonly #acks: -1 | 0 | 1
  readonly #compression: NonNullable<ProducerOptions['compression']>
  readonly #roundRobin: boolean
  /** Next keyless partition per topic, so successive sends spread over the partitions. */
  readonly #keylessNext = new Map<string, number>()
  readonly #onClose: (p: EmbeddedProducer) => void
  /** Sends not yet acknowledged; close() waits for them, as a Kafka producer flushes. */
  readonly #inflight = new Set<Promise<unknown>>()
  #closed = false

  constructor(broker: Broker, metadata: TopicMetadata, clock: Clock, options: ProducerOptions, onClose: (p: EmbeddedProducer) => void) {
    this.#broker = broker
    this.#metadata = metadata
    this.#clock = clock
    this.#acks = options.acks ?? -1
    this.#compression = options.compression ?? 'none'
    this.#roundRobin = options.keylessPartitioner === 'round-robin'
    this.#onClose = onClose
  }

  async send(records: readonly ProducerRecord[], options: SendOptions = {}): Promise<RecordMetadata[]> {
    if (this.#closed) throw new TributaryError(ErrorCode.CLOSED, 'producer is closed')
    if (options.signal?.aborted) throw new TributaryError(ErrorCode.ABORTED, 'send aborted', { cause: options.signal.reason })
    if (records.length === 0) return []
    const batches = await this.#group(records)
    const timestamp = this.#clock.now()
    // With acks=0 the broker checks the batch and resolves at once with offsets of -1.
    const sending = Promise.all(batches.map((b) => this.#write(b, timestamp)))
    this.#inflight.add(sending)
    try {
      return await sending
    } finally {
      this.#inflight.delete(sending)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled(this.#inflight)
    this.#onClose(this)
  }

  /** Splits records into per-partition lists, in send order; validates topics and partitions first. */
  async #group(records: readonly ProducerRecord[]): Promise<PartitionBatch[]> {
    const counts = new Map<string, number>()
    for (const r of records) {
      if (typeof r.topic !== 'string') throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'record has no topic')
      if (!counts.has(r.topic)) counts.set(r.topic, await this.#metadata.partitionCount(r.topic))
      if (r.partition === undefined) continue
      if (!Number.isInteger(r.partition) || r.partition < 0) throw unknownPartition(r.topic, r.partition)
      if (r.partition >= (counts.get(r.topic) as number)) {
        // The topic may have grown since its partition count was cached.
        await this.#metadata.checkPartition(r.topic, r.partition)
        counts.set(r.topic, await this.#metadata.partitionCount(r.topic))
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

  async #write(batch: PartitionBatch, timestamp: number): Promise<RecordMetadata> {
    const bytes = encodeRecordBatch(batch.records, { compression: this.#compression, timestamp })
    try {
      const result = await this.#broker.produce(batch.topic, batch.partition, bytes, { acks: this.#acks })
      return {
        topic: batch.topic,
        partition: batch.partition,
        baseOffset: result.baseOffset,
        lastOffset: result.lastOffset,
        logAppendTime: result.logAppendTime,
      }
    } catch (err) {
      if (isTributaryError(err, ErrorCode.UNKNOWN_TOPIC) || isTributaryError(err, ErrorCode.UNKNOWN_PARTITION)) this.#metadata.forget(batch.topic)
      throw err
    }
  }
}
