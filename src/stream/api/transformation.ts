/**
 * @module The recorded job graph. The fluent API only appends Transformation nodes (what to do,
 * with which functions); the translator (runtime/job-graph.ts) cuts the graph into stages at
 * keyBy boundaries and builds the tasks. Nothing here runs anything.
 */
import { type ConsumerRecord } from '../../client/types.ts'
import { type AggregateFunction } from './aggregate-function.ts'
import { type Evictor } from './evictor.ts'
import { type Format } from './formats.ts'
import { type OutputTag } from './output-tag.ts'
import { type Collector, type KeyedProcessFunction, type ProcessFunction } from './process-function.ts'
import { type Sink } from './sink.ts'
import { type Trigger } from './trigger.ts'
import { type WatermarkStrategy } from './watermark-strategy.ts'
import { type Window } from './window.ts'
import { type WindowAssigner } from './window-assigner.ts'
import { type ProcessWindowFunction } from './window-function.ts'

/** A record that failed to decode (sent to a topic source's error side output). */
export interface BadRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  error: string
}

export interface CollectionSourceSpec {
  kind: 'collection'
  items: readonly unknown[]
  partitions: number
  batchSize: number
  /** Event time per item; otherwise items carry no timestamp. */
  timestamp: ((item: unknown) => number) | undefined
  /** Keep the input open after the items (an unbounded job). */
  unbounded: boolean
}

export interface GeneratorSourceSpec {
  kind: 'generator'
  generate: (index: number) => unknown
  /** How many elements in all (Infinity: unbounded). */
  count: number
  /** Elements per second over all partitions, paced on the clock; undefined: as fast as possible. */
  ratePerSecond: number | undefined
  partitions: number
  batchSize: number
  timestamp: ((item: unknown) => number) | undefined
}

export interface TopicSourceSpec {
  kind: 'topic'
  topic: string
  format: Format<unknown>
  toElement: ((value: unknown, record: ConsumerRecord) => unknown) | undefined
  errorTag: OutputTag<BadRecord> | undefined
  /** Where to start a partition without committed offset of the job's group. */
  startFrom: 'earliest' | 'latest'
  /** Stop at the end offsets seen when the job starts: the job finishes like a batch job. */
  bounded: boolean
  groupId: string | undefined
}

export type SourceSpec = CollectionSourceSpec | GeneratorSourceSpec | TopicSourceSpec

export type WindowContents =
  | { kind: 'aggregate'; fn: AggregateFunction<unknown, unknown, unknown> }
  | { kind: 'reduce'; fn: (a: unknown, b: unknown) => unknown }
  | { kind: 'list' }

export interface WindowSpec {
  kind: 'window'
  assigner: WindowAssigner<unknown, Window>
  trigger: Trigger<unknown, Window> | undefined
  evictor: Evictor<unknown, Window> | undefined
  allowedLateness: number
  lateTag: OutputTag<unknown> | undefined
  contents: WindowContents
  windowFunction: ProcessWindowFunction<unknown, unknown, unknown, Window> | undefined
}

export type TransformationSpec =
  | { kind: 'source'; source: SourceSpec }
  | { kind: 'map'; fn: (value: unknown) => unknown }
  | { kind: 'flatMap'; fn: (value: unknown, out: Collector<unknown>) => Iterable<unknown> | void }
  | { kind: 'filter'; fn: (value: unknown) => boolean }
  | { kind: 'process'; fn: ProcessFunction<unknown, unknown> }
  | { kind: 'timestamps'; strategy: WatermarkStrategy<unknown> }
  | { kind: 'union' }
  | { kind: 'sideOutput'; tag: OutputTag<unknown> }
  | {
      kind: 'keyBy'
      keySelector: (value: unknown) => unknown
      /** The input is already partitioned by this key: no exchange. */
      prePartitioned: boolean
      /** How elements cross a repartition topic (default JSON). */
      format: Format<unknown> | undefined
    }
  | { kind: 'keyedProcess'; fn: KeyedProcessFunction<unknown, unknown, unknown> }
  | { kind: 'keyedAggregate'; fn: AggregateFunction<unknown, unknown, unknown> }
  | WindowSpec
  | { kind: 'sink'; sink: Sink<unknown> }

export class Transformation {
  readonly id: number
  name: string
  readonly inputs: readonly Transformation[]
  readonly spec: TransformationSpec

  constructor(id: number, name: string, spec: TransformationSpec, inputs: readonly Transformation[]) {
    this.id = id
    this.name = name
    this.spec = spec
    this.inputs = inputs
  }
}
