/**
 * @module Writes a stream to a topic through the Client interface (embedded broker or Kafka).
 * Each task gets its own producer; one send per flushed batch.
 */
import { type Client, type Producer, type ProducerOptions, type ProducerRecord } from '../../client/types.ts'
import { type Format } from './formats.ts'
import { type Sink, type SinkBatching, type SinkWriter, DEFAULT_SINK_BATCHING } from './sink.ts'

export interface TopicSinkOptions<T> {
  format: Format<T>
  /** The record key (Kafka partitions by it); default no key. */
  keyFn?: (value: T) => Buffer | string | null
  headers?: (value: T) => { key: string; value: Buffer | string | null }[]
  /** Writes a null value for elements that are deletions (upserts into compacted topics). */
  tombstone?: (value: T) => boolean
  batching?: Partial<SinkBatching>
  producer?: ProducerOptions
}

function ignore(): void {}

export class TopicSink<T> implements Sink<T> {
  readonly name: string
  readonly batching: SinkBatching
  readonly #client: Client
  readonly #topic: string
  readonly #options: TopicSinkOptions<T>

  constructor(client: Client, topic: string, options: TopicSinkOptions<T>) {
    this.name = `topic:${topic}`
    this.#client = client
    this.#topic = topic
    this.#options = options
    this.batching = { ...DEFAULT_SINK_BATCHING, ...options.batching }
  }

  createWriter(): SinkWriter<T> {
    const producer: Producer = this.#client.producer(this.#options.producer)
    const { format, keyFn, headers, tombstone } = this.#options
    const topic = this.#topic
    return {
      // Not async: nothing here outlives the send, so with a producer that encodes at once (the
      // remote one) the values and records die young instead of surviving until the acknowledgement.
      write: (values, timestamps) => {
        const records: ProducerRecord[] = new Array(values.length)
        for (let i = 0; i < values.length; i++) {
          const v = values[i] as T
          const ts = timestamps[i] as number
          const record: ProducerRecord = { topic, value: tombstone?.(v) === true ? null : format.serialize(v) }
          if (keyFn !== undefined) record.key = keyFn(v)
          if (headers !== undefined) record.headers = headers(v)
          if (Number.isFinite(ts)) record.timestamp = ts
          records[i] = record
        }
        return producer.send(records).then(ignore)
      },
      close: () => producer.close(),
    }
  }
}
