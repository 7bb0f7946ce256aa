/**
 * @module The embedded producer: groups a send's records by partition, encodes one RecordBatch per
 * partition and appends it through the broker. Records are handed to the encoder as given (no copy).
 * It also appends batches its caller encoded (EncodedBatchSink): the remote client's host uses that
 * so a worker thread's batches reach the log as the worker encoded them.
 */
import { type Broker } from '../../broker/broker.ts'
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import { Partitioner } from '../internal/partitioner.ts'
import { type EncodedBatchSink, encodePartitionBatch } from '../internal/raw-batches.ts'
import { type Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata, type SendOptions } from '../types.ts'
import { type TopicMetadata } from './metadata.ts'

export class EmbeddedProducer implements Producer, EncodedBatchSink {
  readonly #broker: Broker
  readonly #metadata: TopicMetadata
  readonly #clock: Clock
  readonly #acks: -1 | 0 | 1
  readonly #compression: NonNullable<ProducerOptions['compression']>
  readonly #partitioner: Partitioner
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
    this.#partitioner = new Partitioner(metadata, options.keylessPartitioner)
    this.#onClose = onClose
  }

  async send(records: readonly ProducerRecord[], options: SendOptions = {}): Promise<RecordMetadata[]> {
    this.#checkSend(options)
    if (records.length === 0) return []
    const batches = await this.#partitioner.group(records)
    const timestamp = this.#clock.now()
    // Every batch is encoded before any is written: a record that cannot be encoded changes nothing.
    const encoded = batches.map((b) => encodePartitionBatch(b.records, this.#compression, timestamp))
    // With acks=0 the broker checks the batch and resolves at once with offsets of -1.
    return this.#track(Promise.all(batches.map((b, i) => this.#write(b.topic, b.partition, encoded[i] as Buffer))))
  }

  partitionCount(topic: string, fresh?: boolean): Promise<number> {
    return this.#metadata.partitionCount(topic, fresh)
  }

  /** Appends RecordBatch v2 bytes as they are; the broker validates them (framing, CRC) first. */
  async appendBatch(topic: string, partition: number, bytes: Buffer, options: SendOptions = {}): Promise<RecordMetadata> {
    this.#checkSend(options)
    await this.#metadata.checkPartition(topic, partition)
    return this.#track(this.#write(topic, partition, bytes))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled(this.#inflight)
    this.#onClose(this)
  }

  #checkSend(options: SendOptions): void {
    if (this.#closed) throw new TributaryError(ErrorCode.CLOSED, 'producer is closed')
    if (options.signal?.aborted) throw new TributaryError(ErrorCode.ABORTED, 'send aborted', { cause: options.signal.reason })
  }

  async #track<T>(sending: Promise<T>): Promise<T> {
    this.#inflight.add(sending)
    try {
      return await sending
    } finally {
      this.#inflight.delete(sending)
    }
  }

  async #write(topic: string, partition: number, bytes: Buffer): Promise<RecordMetadata> {
    try {
      const result = await this.#broker.produce(topic, partition, bytes, { acks: this.#acks })
      return { topic, partition, baseOffset: result.baseOffset, lastOffset: result.lastOffset, logAppendTime: result.logAppendTime }
    } catch (err) {
      if (isTributaryError(err, ErrorCode.UNKNOWN_TOPIC) || isTributaryError(err, ErrorCode.UNKNOWN_PARTITION)) this.#metadata.forget(topic)
      throw err
    }
  }
}
