/**
 * @module One Nexmark job, from plain arguments: the events topic decoded (row format or JSON, with the
 * reference's `dateTime - 4 s` watermarks for event-time queries), the query, its output topic.
 * Plain data in, so the same builder can run in worker threads, which cannot be sent functions.
 */
import { type SinkBatching } from '../../src/stream/api/sink.ts'
import { type StreamEnvironment, type TopicSourceConfig } from '../../src/stream/api/stream-environment.ts'
import { WatermarkStrategy } from '../../src/stream/api/watermark-strategy.ts'
import { type NexmarkEvent } from '../../src/stream/generators/nexmark.ts'
import { type EventFormatName, eventFormat } from './event-format.ts'
import { QUERIES, type QueryName, toOutput } from './queries.ts'

/** The reference DDL's watermark: dateTime - 4 s (record timestamps are dateTime). */
export const OUT_OF_ORDERNESS_MS = 4_000

export interface NexmarkJobArgs {
  query: QueryName
  input: string
  output: string
  /** Read up to the input's end offsets at the start, then finish. */
  bounded: boolean
  batching: Partial<SinkBatching>
  /** Encoding of the events and of the results. */
  format: EventFormatName
}

export function buildNexmarkPipeline(env: StreamEnvironment, context: { args: NexmarkJobArgs }): void {
  const { query, input, output, bounded, batching, format } = context.args
  const def = QUERIES[query]
  const config: TopicSourceConfig<NexmarkEvent> = { format: eventFormat(format), bounded, name: 'events' }
  if (def.eventTime) config.watermarks = WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(OUT_OF_ORDERNESS_MS)
  def.build(env.fromTopic(input, config), toOutput({ topic: output, batching, format, result: def.result }))
}
