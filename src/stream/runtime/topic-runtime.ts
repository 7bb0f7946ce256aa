/**
 * @module Everything a job does with topics through the Client interface: partition counts of
 * source topics, repartition topics (repartition-topic.ts) and one group consumer per topic-fed
 * stage (stage-consumer.ts), whose tasks start when their partitions are assigned and stop when
 * they are revoked for good.
 */
import { type Client, type Producer } from '../../client/types.ts'
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import { jsonFormat } from '../api/formats.ts'
import { type TopicSourceSpec, type Transformation } from '../api/transformation.ts'
import { type ExchangeSender } from './exchange.ts'
import { type JobGraph, type Stage } from './job-graph.ts'
import { repartitionTopicName, topicExchangeSender } from './repartition-topic.ts'
import { StageConsumer, type TaskLifecycle, type TopicInput } from './stage-consumer.ts'
import { type StreamTask } from './task.ts'

function sourceSpec(t: Transformation): TopicSourceSpec | undefined {
  return t.spec.kind === 'source' && t.spec.source.kind === 'topic' ? t.spec.source : undefined
}

export class TopicRuntime {
  readonly #job: string
  readonly #client: Client
  readonly #clock: Clock
  readonly #signal: AbortSignal
  readonly #members: number
  readonly #stages = new Map<number, { consumer: StageConsumer; tasks: readonly StreamTask[] }>()
  #lifecycle: TaskLifecycle | undefined
  #producer: Producer | undefined

  constructor(job: string, client: Client, clock: Clock, signal: AbortSignal, members = 1) {
    this.#job = job
    this.#client = client
    this.#clock = clock
    this.#signal = signal
    this.#members = members
  }

  async partitionCounts(graph: JobGraph): Promise<Map<string, number>> {
    const topics = new Set<string>()
    for (const s of graph.stages) for (const i of s.inputs) if (i.kind === 'source') {
      const spec = sourceSpec(i.transformation)
      if (spec !== undefined) topics.add(spec.topic)
    }
    if (topics.size === 0) return new Map()
    const admin = this.#client.admin()
    try {
      const infos = await admin.describeTopics([...topics])
      return new Map(infos.map((t) => [t.name, t.partitions.length]))
    } finally {
      await admin.close()
    }
  }

  async createRepartitionTopics(graph: JobGraph, counts: readonly number[]): Promise<void> {
    const admin = this.#client.admin()
    try {
      const existing = new Set(await admin.listTopics({ includeInternal: true }))
      for (const stage of graph.stages) {
        for (const input of stage.inputs) {
          if (input.kind !== 'exchange') continue
          const name = repartitionTopicName(this.#job, input.keyBy)
          const partitions = counts[stage.id] as number
          if (existing.has(name)) {
            const [info] = await admin.describeTopics([name])
            const have = info?.partitions.length ?? 0
            if (have < partitions) await admin.createPartitions(name, partitions)
            if (have > partitions) {
              throw new TributaryError(ErrorCode.INVALID_PARTITIONS, `repartition topic ${name} has ${have} partitions, the job needs ${partitions}`)
            }
            continue
          }
          try {
            await admin.createTopics([{ name, partitions }])
          } catch (err) {
            if (!isTributaryError(err, ErrorCode.TOPIC_ALREADY_EXISTS)) throw err
          }
        }
      }
    } finally {
      await admin.close()
    }
  }

  exchangeSender(keyBy: Transformation, index: number, counts: readonly number[], graph: JobGraph): ExchangeSender {
    const receiving = graph.stages.find((s) => s.inputs.some((i) => i.kind === 'exchange' && i.keyBy === keyBy)) as Stage
    return topicExchangeSender({
      topic: repartitionTopicName(this.#job, keyBy),
      keyBy,
      index,
      senders: counts[graph.stageOf.get(keyBy) as number] as number,
      partitions: counts[receiving.id] as number,
      producer: (this.#producer ??= this.#client.producer({ clientId: `${this.#job}-repartition` })),
      signal: this.#signal,
    })
  }

  /**
   * Consumes every topic-fed stage; tasks start when their partitions are assigned (through
   * `lifecycle`). Resolves when every such stage's tasks finished (bounded) or the job stops.
   */
  async run(graph: JobGraph, byStage: readonly StreamTask[][], counts: readonly number[], partitions: ReadonlyMap<string, number>, lifecycle: TaskLifecycle): Promise<void> {
    this.#lifecycle = lifecycle
    const loops: Promise<void>[] = []
    for (const stage of graph.stages) {
      const inputs = new Map<string, TopicInput>()
      stage.inputs.forEach((input, i) => {
        if (input.kind === 'exchange') {
          const spec = input.keyBy.spec
          if (spec.kind !== 'keyBy') return
          inputs.set(repartitionTopicName(this.#job, input.keyBy), {
            kind: 'exchange',
            input: i,
            format: spec.format ?? jsonFormat<unknown>(),
            senders: counts[input.fromStage] as number,
          })
          return
        }
        const spec = sourceSpec(input.transformation)
        if (spec !== undefined) inputs.set(spec.topic, { kind: 'source', input: i, spec, partitions: partitions.get(spec.topic) ?? 0 })
      })
      if (inputs.size === 0) continue
      const tasks = byStage[stage.id] as StreamTask[]
      const consumer = new StageConsumer({
        job: this.#job,
        stage,
        inputs,
        tasks,
        client: this.#client,
        clock: this.#clock,
        signal: this.#signal,
        lifecycle,
        members: this.#members,
      })
      this.#stages.set(stage.id, { consumer, tasks })
      loops.push(consumer.run())
    }
    await Promise.all(loops)
  }

  stop(): void {
    for (const s of this.#stages.values()) s.consumer.stop.abort()
  }

  /** A task of `stage` finished (here or elsewhere): once all of them did, that stage's consumer stops. */
  stageTaskFinished(stage: number): void {
    const s = this.#stages.get(stage)
    const lifecycle = this.#lifecycle
    if (s !== undefined && lifecycle !== undefined && s.tasks.every((t) => lifecycle.isFinished(t))) s.consumer.stop.abort()
  }

  async close(): Promise<void> {
    await this.#producer?.close()
  }
}
