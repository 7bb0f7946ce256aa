/**
 * @module The entry point: StreamEnvironment.create({ client?, clock?, parallelism? }), sources,
 * and execute(). The environment keeps the recorded Transformations; execute hands them to the
 * runtime, which translates them into stages and tasks.
 */
import { type Client, type ConsumerRecord } from '../../client/types.ts'
import { type Clock, systemClock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type JobPeers } from '../runtime/job-peers.ts'
import { runJob } from '../runtime/job-runner.ts'
import { DataStream } from './data-stream.ts'
import { type Format } from './formats.ts'
import { type JobHandle } from './job-handle.ts'
import { type OutputTag } from './output-tag.ts'
import { type BadRecord, type SourceSpec, Transformation, type TransformationSpec } from './transformation.ts'
import { type WatermarkStrategy } from './watermark-strategy.ts'

export interface StreamEnvironmentOptions {
  /** Broker access for topic sources, topic sinks and repartition topics. */
  client?: Client
  clock?: Clock
  /** Tasks of the stages behind a keyBy; default: as many as the stage feeding it. */
  parallelism?: number
  /** Periodic watermark emission, in ms of processing time; 0 turns it off. Default 200. */
  autoWatermarkIntervalMs?: number
  /** Letters a task's mailbox holds before upstream waits (backpressure). Default 16. */
  mailboxCapacity?: number
  /** Where keyBy repartitions: through a topic (default with a client) or in memory. */
  repartition?: 'topic' | 'memory'
  /** Other instances of the same job in worker threads; set by runParallelJob (src/stream/parallel). */
  peers?: JobPeers
}

export interface ResolvedEnvironmentOptions {
  client: Client | undefined
  clock: Clock
  parallelism: number | undefined
  autoWatermarkIntervalMs: number
  mailboxCapacity: number
  repartition: 'topic' | 'memory'
  peers: JobPeers | undefined
}

export interface CollectionSourceOptions<T> {
  name?: string
  /** Split the items round-robin over this many partitions (tasks). Default 1. */
  partitions?: number
  /** Elements per batch handed to the task. Default 256. */
  batchSize?: number
  /** Event time of an item. */
  timestamp?: (item: T) => number
  /** Keep the source open after the items, so the job runs until cancelled. */
  unbounded?: boolean
}

export interface GeneratorSourceOptions<T> {
  name?: string
  /** Elements in all; default unbounded. */
  count?: number
  /** Elements per second over all partitions, paced on the clock. */
  ratePerSecond?: number
  partitions?: number
  batchSize?: number
  timestamp?: (item: T) => number
}

/** How a topic is read, as Kafka Streams' Consumed. */
export interface TopicSourceConfig<V, T = V> {
  format: Format<V>
  /** Builds the element from the decoded value and its record (key, headers, ...). */
  toElement?: (value: V, record: ConsumerRecord) => T
  /** Timestamps and watermarks per partition, right at the source. Default: record timestamps, no watermarks. */
  watermarks?: WatermarkStrategy<NoInfer<T>>
  /** Records that fail to decode go here; otherwise they are dropped (and counted). */
  errors?: OutputTag<BadRecord>
  /** Where partitions without a committed offset start. Default 'earliest'. */
  startFrom?: 'earliest' | 'latest'
  /** Read up to the end offsets at job start, then finish (a batch job over the topic). */
  bounded?: boolean
  /** Consumer group; default the job name. */
  groupId?: string
  name?: string
}

export class StreamEnvironment {
  readonly options: ResolvedEnvironmentOptions
  readonly #transformations: Transformation[] = []
  #nextId = 1

  private constructor(options: ResolvedEnvironmentOptions) {
    this.options = options
  }

  static create(options: StreamEnvironmentOptions = {}): StreamEnvironment {
    const { parallelism, autoWatermarkIntervalMs = 200, mailboxCapacity = 16 } = options
    if (parallelism !== undefined && !(Number.isInteger(parallelism) && parallelism > 0)) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, `parallelism must be a positive integer, got ${parallelism}`)
    }
    if (!(autoWatermarkIntervalMs >= 0)) throw new TributaryError(ErrorCode.INVALID_CONFIG, 'autoWatermarkIntervalMs must be >= 0')
    if (!(mailboxCapacity >= 1)) throw new TributaryError(ErrorCode.INVALID_CONFIG, 'mailboxCapacity must be >= 1')
    const repartition = options.repartition ?? (options.client === undefined ? 'memory' : 'topic')
    if (repartition === 'topic' && options.client === undefined) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, "repartition: 'topic' needs a client")
    }
    if (options.peers !== undefined && options.peers.members > 1 && repartition === 'memory') {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, "a job spread over several instances repartitions through topics, not 'memory'")
    }
    return new StreamEnvironment({
      client: options.client,
      clock: options.clock ?? systemClock,
      parallelism,
      autoWatermarkIntervalMs,
      mailboxCapacity,
      repartition,
      peers: options.peers,
    })
  }

  get client(): Client | undefined {
    return this.options.client
  }

  get clock(): Clock {
    return this.options.clock
  }

  /** Every recorded transformation, in creation order (inputs before their consumers). */
  get transformations(): readonly Transformation[] {
    return this.#transformations
  }

  /** Records a node; used by the stream classes. */
  record(spec: TransformationSpec, inputs: readonly Transformation[], name?: string): Transformation {
    const id = this.#nextId++
    const t = new Transformation(id, name ?? `${spec.kind}-${id}`, spec, inputs)
    this.#transformations.push(t)
    return t
  }

  fromCollection<T>(items: readonly T[], options: CollectionSourceOptions<T> = {}): DataStream<T> {
    const spec: SourceSpec = {
      kind: 'collection',
      items,
      partitions: positiveInt('partitions', options.partitions ?? 1),
      batchSize: positiveInt('batchSize', options.batchSize ?? 256),
      timestamp: options.timestamp as ((item: unknown) => number) | undefined,
      unbounded: options.unbounded ?? false,
    }
    return this.#source<T>(spec, options.name ?? `collection-${this.#nextId}`)
  }

  /** Elements generate(0), generate(1), ... (Flink's DataGeneratorSource); partition p makes indexes p, p+n, ... */
  fromGenerator<T>(generate: (index: number) => T, options: GeneratorSourceOptions<T> = {}): DataStream<T> {
    const count = options.count ?? Number.POSITIVE_INFINITY
    if (!(count >= 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `count must be >= 0, got ${count}`)
    if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `ratePerSecond must be > 0, got ${options.ratePerSecond}`)
    }
    const spec: SourceSpec = {
      kind: 'generator',
      generate,
      count,
      ratePerSecond: options.ratePerSecond,
      partitions: positiveInt('partitions', options.partitions ?? 1),
      batchSize: positiveInt('batchSize', options.batchSize ?? 256),
      timestamp: options.timestamp as ((item: unknown) => number) | undefined,
    }
    return this.#source<T>(spec, options.name ?? `generator-${this.#nextId}`)
  }

  /** One task per partition of the topic; elements carry the record timestamp. */
  fromTopic<V, T = V>(topic: string, config: TopicSourceConfig<V, T>): DataStream<T> {
    const spec: SourceSpec = {
      kind: 'topic',
      topic,
      format: config.format as Format<unknown>,
      toElement: config.toElement as ((value: unknown, record: ConsumerRecord) => unknown) | undefined,
      errorTag: config.errors,
      startFrom: config.startFrom ?? 'earliest',
      bounded: config.bounded ?? false,
      groupId: config.groupId,
    }
    const stream = this.#source<T>(spec, config.name ?? topic)
    return config.watermarks === undefined ? stream : stream.assignTimestampsAndWatermarks(config.watermarks)
  }

  /** Starts the job. `done` of the handle resolves when a bounded job finishes. */
  execute(name: string, options: { signal?: AbortSignal } = {}): JobHandle {
    if (this.#transformations.every((t) => t.spec.kind !== 'sink')) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, 'the job has no sink')
    }
    return runJob({ name, transformations: this.#transformations, options: this.options }, options.signal)
  }

  #source<T>(spec: SourceSpec, name: string): DataStream<T> {
    return new DataStream<T>(this, this.record({ kind: 'source', source: spec }, [], name))
  }
}

function positiveInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v > 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `${name} must be a positive integer, got ${v}`)
  return v
}
