/**
 * @module The Kafka producer: partitions are chosen here (murmur2 of the key as Kafka's default
 * partitioner, else sticky or round-robin) and checked against cluster metadata before anything is
 * sent; @platformatic/kafka's Producer encodes one RecordBatch per partition (compression,
 * idempotent sequences) and sends them in one Produce request per leader.
 */
import { Producer as LibraryProducer, type MessageToProduce } from '@platformatic/kafka'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { partitionForKey } from '../../util/murmur2.ts'
import { type Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata, type SendOptions } from '../types.ts'
import { fromKafka } from './errors.ts'
import { type KafkaClientOptions, libraryOptions } from './options.ts'
import { Wire } from './wire.ts'

interface PartitionBatch {
  topic: string
  partition: number
  count: number
}

function toBuffer(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v
}

export class KafkaProducer implements Producer {
  readonly #library: LibraryProducer<Buffer, Buffer, Buffer, Buffer | null>
  readonly #wire: Wire
  readonly #acks: -1 | 0 | 1
  readonly #roundRobin: boolean
  readonly #keylessNext = new Map<string, number>()
  readonly #inflight = new Set<Promise<unknown>>()
  readonly #onClose: (p: KafkaProducer) => void
  #closed = false

  constructor(connection: KafkaClientOptions, options: ProducerOptions, onClose: (p: KafkaProducer) => void) {
    this.#acks = options.idempotent === true ? -1 : (options.acks ?? -1)
    this.#roundRobin = options.keylessPartitioner === 'round-robin'
    this.#onClose = onClose
    this.#library = new LibraryProducer<Buffer, Buffer, Buffer, Buffer | null>({
      ...libraryOptions(options.clientId === undefined ? connection : { ...connection, clientId: options.clientId }, 'producer'),
      compression: options.compression ?? 'none',
      idempotent: options.idempotent === true,
      acks: this.#acks,
      autocreateTopics: false,
    })
    // Metadata lookups share the producer's connections.
    this.#wire = new Wire(this.#library)
  }

  async send(records: readonly ProducerRecord[], options: SendOptions = {}): Promise<RecordMetadata[]> {
    if (this.#closed) throw new TributaryError(ErrorCode.CLOSED, 'producer is closed')
    if (options.signal?.aborted) throw new TributaryError(ErrorCode.ABORTED, 'send aborted', { cause: options.signal.reason })
    if (records.length === 0) return []
    const sending = this.#send(records)
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
    await new Promise<void>((resolve) => this.#library.close(true, () => resolve()))
  }

  async #send(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const { messages, batches } = await this.#partition(records)
    let result
    try {
      result = await this.#library.send({ messages, acks: this.#acks })
    } catch (err) {
      const e = fromKafka(err, 'produce', ErrorCode.UNKNOWN_PARTITION)
      if (e.code === ErrorCode.UNKNOWN_PARTITION) for (const b of batches) this.#wire.forget(b.topic)
      throw e
    }
    const base = new Map<string, number>()
    for (const o of result.offsets ?? []) base.set(`${o.topic}\u0000${o.partition}`, Number(o.offset))
    return batches.map((b) => {
      const baseOffset = base.get(`${b.topic}\u0000${b.partition}`) ?? -1
      return {
        topic: b.topic,
        partition: b.partition,
        baseOffset,
        lastOffset: baseOffset < 0 ? -1 : baseOffset + b.count - 1,
        // The library does not pass the broker's log-append time on.
        logAppendTime: -1,
      }
    })
  }

  /** Chooses every record's partition, checking topics and explicit partitions before sending. */
  async #partition(records: readonly ProducerRecord[]): Promise<{ messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer | null>[]; batches: PartitionBatch[] }> {
    const counts = new Map<string, number>()
    for (const r of records) {
      if (typeof r.topic !== 'string') throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'record has no topic')
      if (!counts.has(r.topic)) counts.set(r.topic, (await this.#wire.layout(r.topic)).leaders.length)
      if (r.partition !== undefined) {
        const layout = await this.#wire.checkPartition(r.topic, r.partition)
        counts.set(r.topic, layout.leaders.length)
      }
    }
    const sticky = new Map<string, number>()
    const byPartition = new Map<string, PartitionBatch>()
    const batches: PartitionBatch[] = []
    const messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer | null>[] = []
    for (const r of records) {
      const count = counts.get(r.topic) as number
      const key = r.key === undefined || r.key === null ? undefined : toBuffer(r.key)
      let partition = r.partition
      if (partition === undefined) {
        if (key !== undefined) partition = partitionForKey(key, count)
        else if (this.#roundRobin) partition = this.#nextKeyless(r.topic, count)
        else {
          partition = sticky.get(r.topic)
          if (partition === undefined) {
            partition = this.#nextKeyless(r.topic, count)
            sticky.set(r.topic, partition)
          }
        }
      }
      const id = `${r.topic}\u0000${partition}`
      let batch = byPartition.get(id)
      if (batch === undefined) {
        batch = { topic: r.topic, partition, count: 0 }
        byPartition.set(id, batch)
        batches.push(batch)
      }
      batch.count++
      // Header keys are distinct Buffer objects, so repeated header names survive the library's Map.
      const headers = new Map<Buffer, Buffer | null>()
      for (const h of r.headers ?? []) headers.set(Buffer.from(h.key), h.value === null ? null : toBuffer(h.value))
      const message: MessageToProduce<Buffer, Buffer, Buffer, Buffer | null> = { topic: r.topic, partition, headers }
      if (key !== undefined) message.key = key
      // A null value is a tombstone: the library writes length -1 for a missing value.
      if (r.value !== null) message.value = toBuffer(r.value)
      if (r.timestamp !== undefined) message.timestamp = BigInt(r.timestamp)
      messages.push(message)
    }
    return { messages, batches }
  }

  #nextKeyless(topic: string, count: number): number {
    const next = this.#keylessNext.get(topic) ?? Math.floor(Math.random() * count)
    this.#keylessNext.set(topic, next + 1)
    return next % count
  }
}

