/**
 * @module TestPipelineDriver, as Kafka Streams' TopologyTestDriver: runs a pipeline's real tasks
 * and operators without threads, timers or a broker. The test pushes input (with timestamps) into
 * named sources, injects watermarks, advances processing time on the ManualClock (firing periodic
 * watermarks, processing-time timers, sink flushes, TTL in due order) and reads the sinks.
 * Every call processes everything it caused before it resolves, so results are deterministic.
 *
 * Sources are addressed by name (a topic source by its topic). Collection and generator sources
 * emit their contents on runSources(); any source also accepts pushed input. keyBy repartitions
 * in memory.
 */
import { type ConsumerRecord } from '../../client/types.ts'
import { ManualClock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type JobMetrics } from '../api/job-handle.ts'
import { type StreamEnvironment } from '../api/stream-environment.ts'
import { type Transformation } from '../api/transformation.ts'
import { InMemoryExchange } from '../runtime/exchange.ts'
import { type JobGraph, buildJobGraph, createTask } from '../runtime/job-graph.ts'
import { planTaskCounts } from '../runtime/job-runner.ts'
import { mergeCounters } from '../runtime/metrics.ts'
import { type InputPort, readCollection, readGenerator } from '../runtime/source-readers.ts'
import { NO_TIMESTAMP } from '../runtime/stream-operator.ts'
import { type Letter, type StreamTask } from '../runtime/task.ts'

export interface TestPipelineDriverOptions {
  /** Job name (operator contexts, metrics). */
  name?: string
  /** Partitions of topic sources (default 1 each). */
  topicPartitions?: Record<string, number>
}

/** Upper bound on processing-time rounds per advance: guards against a deadline that never moves. */
const MAX_ROUNDS = 1_000_000

export class TestPipelineDriver {
  readonly clock: ManualClock
  readonly #graph: JobGraph
  readonly #stages: StreamTask[][]
  readonly #sources = new Map<string, { transformation: Transformation; stage: number; input: number }>()
  #closed = false

  private constructor(env: StreamEnvironment, options: TestPipelineDriverOptions) {
    const clock = env.clock
    if (!(clock instanceof ManualClock)) throw new TributaryError(ErrorCode.INVALID_CONFIG, 'TestPipelineDriver needs a StreamEnvironment with a ManualClock')
    this.clock = clock
    const graph = buildJobGraph(env.transformations)
    this.#graph = graph
    const topicPartitions = options.topicPartitions ?? {}
    const counts = planTaskCounts(graph, env.options.parallelism, (t) => topicPartitions[t] ?? 1)
    const exchanges = new Map<Transformation, InMemoryExchange>()
    for (const stage of graph.stages) {
      for (const input of stage.inputs) {
        if (input.kind === 'exchange') exchanges.set(input.keyBy, new InMemoryExchange(counts[input.fromStage] as number, counts[stage.id] as number))
        else this.#sources.set(input.transformation.name, { transformation: input.transformation, stage: stage.id, input: stage.inputs.indexOf(input) })
      }
    }
    const env2 = {
      jobName: options.name ?? 'test-job',
      clock,
      watermarkIntervalMs: env.options.autoWatermarkIntervalMs,
      mailboxCapacity: Number.POSITIVE_INFINITY,
      sendersOf: (keyBy: Transformation) => counts[graph.stageOf.get(keyBy) as number] as number,
      exchangeSender: (keyBy: Transformation, index: number) => (exchanges.get(keyBy) as InMemoryExchange).sender(index),
    }
    this.#stages = graph.stages.map((stage) => Array.from({ length: counts[stage.id] as number }, (_, i) => createTask(graph, stage, i, counts[stage.id] as number, env2)))
    for (const stage of graph.stages) {
      stage.inputs.forEach((input, i) => {
        if (input.kind !== 'exchange') return
        const ex = exchanges.get(input.keyBy) as InMemoryExchange
        ;(this.#stages[stage.id] as StreamTask[]).forEach((task, p) => ex.connect(p, task, i))
      })
    }
    for (const tasks of [...this.#stages].reverse()) for (const t of tasks) t.open()
    // A source with fewer partitions than its stage has tasks: the extra tasks never read it.
    for (const [, src] of this.#sources) {
      const partitions = this.#partitionsOf(src.transformation, topicPartitions)
      const tasks = this.#stages[src.stage] as StreamTask[]
      for (let p = partitions; p < tasks.length; p++) (tasks[p] as StreamTask).offer({ kind: 'end', input: src.input, sender: 0 })
    }
  }

  static async create(env: StreamEnvironment, options: TestPipelineDriverOptions = {}): Promise<TestPipelineDriver> {
    const d = new TestPipelineDriver(env, options)
    await d.settle()
    return d
  }

  /** The push side of a source (a topic source is named by its topic). */
  input<T>(sourceName: string): TestInput<T> {
    const src = this.#sources.get(sourceName)
    if (src === undefined) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `no source named "${sourceName}"; sources: ${[...this.#sources.keys()].join(', ')}`)
    }
    return new TestInput<T>(this, this.#stages[src.stage] as StreamTask[], src.input)
  }

  /** Emits the contents of every collection and (bounded) generator source, then their end. */
  async runSources(): Promise<void> {
    const signal = new AbortController().signal
    for (const [, src] of this.#sources) {
      const spec = src.transformation.spec
      if (spec.kind !== 'source' || spec.source.kind === 'topic') continue
      const source = spec.source
      const tasks = this.#stages[src.stage] as StreamTask[]
      for (let p = 0; p < source.partitions && p < tasks.length; p++) {
        const port: InputPort = { task: tasks[p] as StreamTask, input: src.input }
        if (source.kind === 'collection') await readCollection(source, p, port, signal)
        else {
          if (source.count === Number.POSITIVE_INFINITY) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'runSources() cannot run an unbounded generator')
          // Pacing is ignored here: time moves only through advanceProcessingTime.
          await readGenerator({ ...source, ratePerSecond: undefined }, p, port, this.clock, signal)
        }
      }
    }
    await this.settle()
  }

  /**
   * Moves processing time forward, running every deadline that falls due (periodic watermarks,
   * processing-time timers and windows, sink flush intervals) in time order.
   */
  async advanceProcessingTime(ms: number): Promise<void> {
    const target = this.clock.now() + ms
    for (let round = 0; ; round++) {
      if (round > MAX_ROUNDS) throw new TributaryError(ErrorCode.ILLEGAL_STATE, 'processing-time deadlines do not advance')
      let next = Number.POSITIVE_INFINITY
      for (const t of this.#tasks()) next = Math.min(next, t.nextProcessingTime())
      if (next > target) break
      this.clock.set(next)
      const now = this.clock.now()
      for (const t of this.#tasks()) {
        if (t.nextProcessingTime() > now) continue
        t.advanceProcessingTime(now)
        const p = t.flushed()
        if (p !== undefined) await p
      }
      await this.settle()
    }
    this.clock.set(target)
  }

  /** Processes every queued letter in every task until nothing moves. */
  async settle(): Promise<void> {
    for (;;) {
      let any = false
      for (const t of this.#tasks()) {
        if (t.queued === 0) continue
        any = true
        await t.drain()
      }
      if (!any) return
    }
  }

  /** Every task finished: all inputs ended and all operators flushed. */
  get finished(): boolean {
    return this.#tasks().every((t) => t.finished)
  }

  metrics(): JobMetrics {
    const out: JobMetrics = {}
    for (const t of this.#tasks()) for (const n of t.nodes) mergeCounters(out, n.name, n.counters)
    return out
  }

  /** Task count per stage, upstream first. */
  get stageParallelism(): number[] {
    return this.#stages.map((s) => s.length)
  }

  get graph(): JobGraph {
    return this.#graph
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const t of this.#tasks()) await t.close()
  }

  #tasks(): StreamTask[] {
    return this.#stages.flat()
  }

  #partitionsOf(t: Transformation, topicPartitions: Record<string, number>): number {
    if (t.spec.kind !== 'source') return 1
    const s = t.spec.source
    return s.kind === 'topic' ? (topicPartitions[s.topic] ?? 1) : s.partitions
  }
}

export class TestInput<T> {
  readonly #driver: TestPipelineDriver
  readonly #tasks: StreamTask[]
  readonly #input: number

  constructor(driver: TestPipelineDriver, tasks: StreamTask[], input: number) {
    this.#driver = driver
    this.#tasks = tasks
    this.#input = input
  }

  /** Elements with event timestamps (omitted: none) as one batch into a partition. */
  async push(values: readonly T[], timestamps?: readonly number[], partition = 0): Promise<void> {
    if (timestamps !== undefined && timestamps.length !== values.length) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `${values.length} values but ${timestamps.length} timestamps`)
    }
    await this.#offer(partition, { kind: 'batch', input: this.#input, sender: 0, values, timestamps: timestamps ?? values.map(() => NO_TIMESTAMP) })
  }

  /** Raw records for a topic source: decoded with its format, bad ones routed like in production. */
  async pushRecords(records: readonly { value: Buffer | string | null; key?: Buffer | string | null; timestamp?: number; offset?: number }[], partition = 0): Promise<void> {
    const consumerRecords: ConsumerRecord[] = records.map((r, i) => ({
      topic: 'test',
      partition,
      offset: r.offset ?? i,
      timestamp: r.timestamp ?? -1,
      key: r.key === undefined || r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      headers: [],
    }))
    await this.#offer(partition, { kind: 'batch', input: this.#input, sender: 0, values: consumerRecords, timestamps: consumerRecords.map((r) => r.timestamp) })
  }

  async watermark(watermark: number, partition = 0): Promise<void> {
    await this.#offer(partition, { kind: 'watermark', input: this.#input, sender: 0, watermark })
  }

  async idle(idle: boolean, partition = 0): Promise<void> {
    await this.#offer(partition, { kind: 'idle', input: this.#input, sender: 0, idle })
  }

  /** Ends one partition, or all: the end-of-input watermark flushes every window. */
  async end(partition?: number): Promise<void> {
    const parts = partition === undefined ? this.#tasks.map((_, i) => i) : [partition]
    for (const p of parts) this.#task(p).offer({ kind: 'end', input: this.#input, sender: 0 })
    await this.#driver.settle()
  }

  async #offer(partition: number, letter: Letter): Promise<void> {
    this.#task(partition).offer(letter)
    await this.#driver.settle()
  }

  #task(partition: number): StreamTask {
    const t = this.#tasks[partition]
    if (t === undefined) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `partition ${partition} out of range (0..${this.#tasks.length - 1})`)
    return t
  }
}
