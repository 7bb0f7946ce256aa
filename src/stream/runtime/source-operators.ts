/**
 * @module Source nodes of a task. Readers (collection, generator, topic partition, exchange) hand
 * batches to these; a topic source decodes records with its format here, so a bad record is
 * counted and routed aside instead of failing the task.
 */
import { type ConsumerRecord } from '../../client/types.ts'
import { toTributaryError } from '../../util/errors.ts'
import { type Format } from '../api/formats.ts'
import { type OutputTag } from '../api/output-tag.ts'
import { type BadRecord } from '../api/transformation.ts'
import { Metric } from './metrics.ts'
import { AbstractStreamOperator, NO_TIMESTAMP } from './stream-operator.ts'


export class PassThroughSourceOperator extends AbstractStreamOperator {
  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const out = this.output
    for (let i = 0; i < values.length; i++) out.collect(values[i], timestamps[i] as number)
  }
}

export interface TopicSourceDecoding<V, T> {
  format: Format<V>
  /** Builds the element from the decoded value and its record (key, headers, offset...). */
  toElement: ((value: V, record: ConsumerRecord) => T) | undefined
  /** Where records that fail to decode go; undefined: dropped (and counted). */
  errorTag: OutputTag<BadRecord> | undefined
}

/** Input values are ConsumerRecords; emits decoded elements stamped with the record timestamp. */
export class TopicSourceOperator<V, T> extends AbstractStreamOperator {
  readonly #decoding: TopicSourceDecoding<V, T>

  constructor(decoding: TopicSourceDecoding<V, T>) {
    super()
    this.#decoding = decoding
  }

  processBatch(_input: number, values: readonly unknown[]): void {
    const { format, toElement, errorTag } = this.#decoding
    const out = this.output
    let bad = 0
    for (let i = 0; i < values.length; i++) {
      const record = values[i] as ConsumerRecord
      const ts = record.timestamp >= 0 ? record.timestamp : NO_TIMESTAMP
      try {
        if (record.value === null) throw new Error('null value (tombstone)')
        const decoded = format.deserialize(record.value)
        out.collect(toElement === undefined ? decoded : toElement(decoded, record), ts)
      } catch (err) {
        bad++
        if (errorTag !== undefined) {
          const badRecord: BadRecord = {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            timestamp: record.timestamp,
            key: record.key,
            value: record.value,
            error: toTributaryError(err).message,
          }
          out.collectSide(errorTag.id, badRecord, ts)
        }
      }
    }
    if (bad > 0) {
      this.ctx.metrics.inc(Metric.BAD_RECORDS, bad)
      if (errorTag === undefined) this.ctx.metrics.inc(Metric.BAD_RECORDS_DROPPED, bad)
    }
  }
}
