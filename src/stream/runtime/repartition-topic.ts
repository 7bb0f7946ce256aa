/**
 * @module Keyed exchange through a repartition topic `<job>-<keyBy name>-repartition` (one partition
 * per downstream task). Data records carry the JSON key (partitioned with Kafka's murmur2), the
 * element in the keyBy's format and the event time as record timestamp. Watermarks, idleness and
 * end of input travel in-band as control records (null key and value, headers `tributary-control`,
 * `tributary-sender`, `tributary-senders`, `tributary-watermark`) written by every upstream task to
 * every partition, after the data they follow; receivers combine the senders' watermarks by minimum.
 */
import { type ConsumerBatch, type Producer, type ProducerRecord, type RecordHeader } from '../../client/types.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { partitionForKey } from '../../util/murmur2.ts'
import { type Format, jsonFormat } from '../api/formats.ts'
import { type Transformation } from '../api/transformation.ts'
import { type ExchangeSender } from './exchange.ts'
import { NO_TIMESTAMP } from './stream-operator.ts'
import { type Letter } from './task.ts'

export const CONTROL_HEADER = 'tributary-control'
export const SENDER_HEADER = 'tributary-sender'
export const SENDERS_HEADER = 'tributary-senders'
export const WATERMARK_HEADER = 'tributary-watermark'
/** Marks a data record whose element had no event time. */
export const NO_TIMESTAMP_HEADER = 'tributary-no-timestamp'

export function repartitionTopicName(job: string, keyBy: Transformation): string {
  return `${job}-${keyBy.name}-repartition`.replace(/[^a-zA-Z0-9._-]/g, '_')
}

function headerText(headers: readonly RecordHeader[], key: string): string | undefined {
  for (const h of headers) if (h.key === key) return h.value === null ? '' : h.value.toString('utf8')
  return undefined
}

export interface TopicExchangeOptions {
  topic: string
  keyBy: Transformation
  /** This upstream task. */
  index: number
  senders: number
  partitions: number
  producer: Producer
  signal: AbortSignal
}

/** The sending side of one upstream task: buffers records per batch, one produce per flush. */
export function topicExchangeSender(o: TopicExchangeOptions): ExchangeSender {
  const { topic, keyBy, partitions, producer, signal } = o
  if (keyBy.spec.kind !== 'keyBy') throw new TributaryError(ErrorCode.ILLEGAL_STATE, 'not a keyBy')
  const keySelector = keyBy.spec.keySelector
  const format = keyBy.spec.format ?? jsonFormat<unknown>()
  const baseHeaders = [
    { key: SENDER_HEADER, value: String(o.index) },
    { key: SENDERS_HEADER, value: String(o.senders) },
  ]
  let pending: ProducerRecord[] = []
  let inflight: Promise<void> | undefined
  const control = (kind: string, watermark?: number): void => {
    const headers = [{ key: CONTROL_HEADER, value: kind }, ...baseHeaders]
    if (watermark !== undefined) headers.push({ key: WATERMARK_HEADER, value: String(watermark) })
    for (let p = 0; p < partitions; p++) pending.push({ topic, partition: p, key: null, value: null, headers })
  }
  const keyBytes = (key: unknown): Buffer => Buffer.from(JSON.stringify(key) ?? 'null', 'utf8')
  return {
    partitions,
    partitionOf: (key) => partitionForKey(keyBytes(key), partitions),
    send: (p, values, timestamps) => {
      for (let i = 0; i < values.length; i++) {
        const v = values[i]
        const ts = timestamps[i] as number
        const record: ProducerRecord = { topic, partition: p, key: keyBytes(keySelector(v)), value: format.serialize(v) }
        if (Number.isFinite(ts)) record.timestamp = ts
        else record.headers = [{ key: NO_TIMESTAMP_HEADER, value: '1' }]
        pending.push(record)
      }
    },
    broadcastWatermark: (wm) => control('watermark', wm),
    broadcastIdle: (idle) => control(idle ? 'idle' : 'active'),
    end: () => control('end'),
    flush: () => {
      if (pending.length === 0) return inflight
      const records = pending
      pending = []
      const previous = inflight
      const send = async (): Promise<void> => {
        if (previous !== undefined) await previous
        await producer.send(records, { signal })
      }
      const p: Promise<void> = send().then(() => {
        if (inflight === p) inflight = undefined
      })
      inflight = p
      return p
    },
    close: async () => {
      if (inflight !== undefined) await inflight
    },
  }
}

/** Splits a repartition batch into data batches and control letters for `input`, in order. */
export function exchangeLetters(batch: ConsumerBatch, input: number, format: Format<unknown>, senders: number): Letter[] {
  const letters: Letter[] = []
  let values: unknown[] = []
  let timestamps: number[] = []
  for (const r of batch.records) {
    const kind = headerText(r.headers, CONTROL_HEADER)
    if (kind === undefined) {
      if (r.value === null) continue
      values.push(format.deserialize(r.value))
      timestamps.push(headerText(r.headers, NO_TIMESTAMP_HEADER) === undefined ? r.timestamp : NO_TIMESTAMP)
      continue
    }
    if (values.length > 0) {
      letters.push({ kind: 'batch', input, sender: 0, values, timestamps })
      values = []
      timestamps = []
    }
    const sender = Number(headerText(r.headers, SENDER_HEADER))
    if (!(Number.isInteger(sender) && sender >= 0 && sender < senders)) {
      throw new TributaryError(ErrorCode.CORRUPT_RECORD, `control record from unknown sender ${sender} in ${batch.topic}/${batch.partition}@${r.offset}`)
    }
    if (kind === 'watermark') letters.push({ kind: 'watermark', input, sender, watermark: Number(headerText(r.headers, WATERMARK_HEADER)) })
    else if (kind === 'idle' || kind === 'active') letters.push({ kind: 'idle', input, sender, idle: kind === 'idle' })
    else if (kind === 'end') letters.push({ kind: 'end', input, sender })
  }
  if (values.length > 0) letters.push({ kind: 'batch', input, sender: 0, values, timestamps })
  return letters
}
