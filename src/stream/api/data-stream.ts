/**
 * @module DataStream<T>: the fluent, typed API. Every call records a Transformation and returns a
 * new stream; nothing runs until StreamEnvironment.execute (or a TestPipelineDriver).
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Format } from './formats.ts'
import { KeyedStream } from './keyed-stream.ts'
import { type OutputTag } from './output-tag.ts'
import { type Collector, type ProcessFunction } from './process-function.ts'
import { ConsoleSink, type Sink } from './sink.ts'
import { type StreamEnvironment } from './stream-environment.ts'
import { TopicSink, type TopicSinkOptions } from './topic-sink.ts'
import { type Transformation } from './transformation.ts'
import { type WatermarkStrategy } from './watermark-strategy.ts'

export interface KeyByOptions<T> {
  /**
   * The input is already partitioned by this key (e.g. a topic keyed the same way): keyed
   * operators run in the same task, without a repartition (Flink's reinterpretAsKeyedStream).
   */
  prePartitioned?: boolean
  /** How elements cross a repartition topic; default JSON. */
  format?: Format<T>
  /** Operator name; the repartition topic is `<job>-<name>-repartition`. */
  name?: string
}

/** A sink at the end of a stream; `name` names the operator. */
export class StreamSink<T> {
  readonly transformation: Transformation
  declare readonly __type: T

  constructor(transformation: Transformation) {
    this.transformation = transformation
  }

  name(name: string): this {
    this.transformation.name = name
    return this
  }
}

export class DataStream<T> {
  readonly env: StreamEnvironment
  readonly transformation: Transformation

  constructor(env: StreamEnvironment, transformation: Transformation) {
    this.env = env
    this.transformation = transformation
  }

  /** Names the operator that produces this stream (metrics, repartition topics). */
  name(name: string): this {
    this.transformation.name = name
    return this
  }

  map<R>(fn: (value: T) => R): DataStream<R> {
    return this.#then<R>({ kind: 'map', fn: fn as (v: unknown) => unknown })
  }

  /** Emit through the collector, or return an iterable of results. */
  flatMap<R>(fn: (value: T, out: Collector<R>) => Iterable<R> | void): DataStream<R> {
    return this.#then<R>({ kind: 'flatMap', fn: fn as (v: unknown, out: Collector<unknown>) => Iterable<unknown> | void })
  }

  filter(fn: (value: T) => boolean): DataStream<T> {
    return this.#then<T>({ kind: 'filter', fn: fn as (v: unknown) => boolean })
  }

  /** One stream of all inputs; its watermark is the minimum of theirs. */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) {
      if (o.env !== this.env) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'cannot union streams of different environments')
    }
    const t = this.env.record({ kind: 'union' }, [this.transformation, ...others.map((o) => o.transformation)])
    return new DataStream<T>(this.env, t)
  }

  process<R>(fn: ProcessFunction<T, R>): DataStream<R> {
    return this.#then<R>({ kind: 'process', fn: fn as ProcessFunction<unknown, unknown> })
  }

  /** The elements the operator producing this stream sent to `tag`. */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    const t = this.env.record({ kind: 'sideOutput', tag: tag as OutputTag<unknown> }, [this.transformation], `side-output:${tag.id}`)
    return new DataStream<X>(this.env, t)
  }

  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): DataStream<T> {
    return this.#then<T>({ kind: 'timestamps', strategy: strategy as WatermarkStrategy<unknown> })
  }

  keyBy<K>(keySelector: (value: T) => K, options: KeyByOptions<T> = {}): KeyedStream<K, T> {
    const t = this.env.record(
      {
        kind: 'keyBy',
        keySelector: keySelector as (v: unknown) => unknown,
        prePartitioned: options.prePartitioned ?? false,
        format: options.format as Format<unknown> | undefined,
      },
      [this.transformation],
      options.name,
    )
    return new KeyedStream<K, T>(this.env, t, keySelector)
  }

  sinkTo(sink: Sink<T>): StreamSink<T> {
    const t = this.env.record({ kind: 'sink', sink: sink as Sink<unknown> }, [this.transformation], sink.name)
    return new StreamSink<T>(t)
  }

  /** Writes to a topic through the environment's client. */
  toTopic(topic: string, options: TopicSinkOptions<T>): StreamSink<T> {
    const client = this.env.client
    if (client === undefined) throw new TributaryError(ErrorCode.INVALID_CONFIG, 'toTopic needs a StreamEnvironment created with a client')
    return this.sinkTo(new TopicSink<T>(client, topic, options))
  }

  /** Prints every element (JSON) to stdout. */
  print(prefix?: string): StreamSink<T> {
    return this.sinkTo(new ConsoleSink<T>(prefix === undefined ? {} : { prefix }))
  }

  #then<R>(spec: Parameters<StreamEnvironment['record']>[0]): DataStream<R> {
    return new DataStream<R>(this.env, this.env.record(spec, [this.transformation]))
  }
}
