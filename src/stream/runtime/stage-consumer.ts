/**
 * @module The group consumer of one topic-fed stage: task i reads partition i of every input topic
 * (source topics and repartition topics). Fetched batches become task letters; an offset is
 * committed once its letter was processed and the sinks wrote the output (they flush first).
 *
 * Rebalances follow Kafka Streams' eager protocol: on revoke, the tasks of the revoked partitions
 * finish the letters they hold, flush their sinks and commit, then wait suspended; on assign, a
 * suspended task whose partition came back goes on with its state, the others stop for good (their
 * state is dropped: state is not durable yet), and newly assigned partitions start tasks.
 *
 * With several instances of the job (JobPeers), no task starts before one group generation holds
 * them all: otherwise the first instance would start every task and hand half of them over, state
 * lost, as soon as the others join.
 */
import { type Client, type Consumer, type ConsumerBatch, type ConsumerRecord, type TopicPartition } from '../../client/types.ts'
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, isTributaryError } from '../../util/errors.ts'
import { type Format } from '../api/formats.ts'
import { type TopicSourceSpec } from '../api/transformation.ts'
import { type Stage } from './job-graph.ts'
import { exchangeLetters } from './repartition-topic.ts'
import { offer } from './source-readers.ts'
import { NO_TIMESTAMP } from './stream-operator.ts'
import { type StreamTask } from './task.ts'

const COMMIT_INTERVAL_MS = 1000
/**
 * Heartbeat of a job with several instances. A member learns that others joined (and rejoins) at
 * its next heartbeat; with the 3 s default, a parallel job would wait that long before any task
 * starts. Heartbeats are cheap local calls of the consumer's client.
 */
const PEER_HEARTBEAT_MS = 20

export type TopicInput =
  | { kind: 'source'; input: number; spec: TopicSourceSpec; partitions: number }
  | { kind: 'exchange'; input: number; format: Format<unknown>; senders: number }

/** What the job runner does for the stage consumer. */
export interface TaskLifecycle {
  /** Starts the task's loop (no-op when it runs already). */
  start(task: StreamTask): void
  /** Started and not stopped. */
  isRunning(task: StreamTask): boolean
  /** Stops a task for good and puts a fresh instance into its slot of the stage's task array. */
  stop(task: StreamTask): Promise<void>
  /** Finished here or in another instance of the job. */
  isFinished(task: StreamTask): boolean
}

export interface StageConsumerOptions {
  job: string
  stage: Stage
  inputs: Map<string, TopicInput>
  /** The stage's tasks by index; slots are replaced when a task stops. */
  tasks: StreamTask[]
  client: Client
  clock: Clock
  /** The job stopped. */
  signal: AbortSignal
  lifecycle: TaskLifecycle
  /** Instances of the job (members of the group). */
  members: number
}

interface Processed extends TopicPartition {
  offset: number
}

function tpKey(topic: string, partition: number): string {
  return `${topic}/${partition}`
}

function isRebalanceError(err: unknown): boolean {
  return isTributaryError(err, ErrorCode.REBALANCE_IN_PROGRESS) || isTributaryError(err, ErrorCode.ILLEGAL_GENERATION) || isTributaryError(err, ErrorCode.UNKNOWN_MEMBER_ID)
}

async function whenIdle(tasks: Iterable<StreamTask>): Promise<void> {
  for (const task of tasks) {
    const idle = task.whenIdle()
    if (idle !== undefined) await idle
  }
}

export class StageConsumer {
  /** Aborted when the stage is done (all its tasks finished) or the job stops. */
  readonly stop = new AbortController()
  readonly #o: StageConsumerOptions
  readonly #groupId: string
  readonly #sources: Extract<TopicInput, { kind: 'source' }>[]
  /** End offsets of bounded sources, taken at the start. */
  readonly #ends = new Map<string, number>()
  readonly #ended = new Set<string>()
  /** Offsets whose letters were processed, not yet committed. */
  readonly #processed = new Map<string, Processed>()
  /** The task instance a partition's letters go to; only its onDone may record offsets. */
  readonly #owner = new Map<string, StreamTask>()
  readonly #suspended = new Set<StreamTask>()
  #consumer!: Consumer
  #ready: boolean
  #closing = false
  #lastCommit: number

  constructor(o: StageConsumerOptions) {
    this.#o = o
    this.#sources = [...o.inputs.values()].filter((i): i is Extract<TopicInput, { kind: 'source' }> => i.kind === 'source')
    this.#groupId = this.#sources.find((s) => s.spec.groupId !== undefined)?.spec.groupId ?? (o.stage.id === 0 ? o.job : `${o.job}-stage-${o.stage.id}`)
    this.#ready = o.members <= 1
    this.#lastCommit = o.clock.now()
  }

  async run(): Promise<void> {
    const o = this.#o
    const signal = AbortSignal.any([this.stop.signal, o.signal])
    await this.#readEnds()
    this.#consumer = o.client.consumer({
      groupId: this.#groupId,
      clientId: `${o.job}-stage-${o.stage.id}`,
      autoOffsetReset: this.#sources.some((s) => s.spec.startFrom === 'latest') ? 'latest' : 'earliest',
      autoCommit: false,
      ...(o.members > 1 ? { heartbeatIntervalMs: PEER_HEARTBEAT_MS } : {}),
      rebalanceListener: {
        onPartitionsAssigned: (tps) => this.#assigned(tps),
        onPartitionsRevoked: (tps) => this.#revoked(tps),
      },
    })
    try {
      await this.#consumer.subscribe([...o.inputs.keys()])
      for await (const batch of this.#consumer.batches({ signal })) {
        await this.#batch(batch, signal)
        if (o.clock.now() - this.#lastCommit >= COMMIT_INTERVAL_MS) await this.#commit()
      }
    } catch (err) {
      if (!signal.aborted) throw err
    } finally {
      this.stop.abort()
      await whenIdle(new Set(this.#owner.values()))
      await this.#commit().catch(() => undefined)
      this.#closing = true
      await this.#consumer.close()
    }
  }

  async #readEnds(): Promise<void> {
    const admin = this.#o.client.admin()
    try {
      for (const s of this.#sources) {
        if (!s.spec.bounded) continue
        for (const p of await admin.listOffsets(s.spec.topic, 'latest')) this.#ends.set(tpKey(s.spec.topic, p.partition), p.offset)
      }
    } finally {
      await admin.close()
    }
  }

  async #batch(batch: ConsumerBatch, signal: AbortSignal): Promise<void> {
    const info = this.#o.inputs.get(batch.topic)
    const task = this.#o.tasks[batch.partition]
    if (info === undefined || task === undefined) return
    const tp = tpKey(batch.topic, batch.partition)
    if (this.#o.lifecycle.isFinished(task)) {
      // Past the end of an exchange come only repeated control records of restarted senders.
      if (info.kind === 'exchange') this.#processed.set(tp, { topic: batch.topic, partition: batch.partition, offset: batch.nextOffset })
      return
    }
    this.#o.lifecycle.start(task)
    this.#owner.set(tp, task)
    const onDone = (): void => {
      if (this.#owner.get(tp) === task) this.#processed.set(tp, { topic: batch.topic, partition: batch.partition, offset: batch.nextOffset })
    }
    if (info.kind === 'source') {
      await this.#sourceBatch(batch, info, task, tp, onDone, signal)
      return
    }
    const letters = exchangeLetters(batch, info.input, info.format, info.senders)
    if (letters.length === 0) {
      onDone()
      return
    }
    ;(letters[letters.length - 1] as { onDone?: () => void }).onDone = onDone
    for (const l of letters) await offer({ task, input: info.input }, l, signal)
  }

  async #sourceBatch(batch: ConsumerBatch, info: Extract<TopicInput, { kind: 'source' }>, task: StreamTask, tp: string, onDone: () => void, signal: AbortSignal): Promise<void> {
    if (this.#ended.has(tp)) return
    const end = info.spec.bounded ? (this.#ends.get(tp) ?? 0) : Number.POSITIVE_INFINITY
    let records: ConsumerRecord[] = batch.records
    if (records.length > 0 && (records[records.length - 1] as ConsumerRecord).offset >= end) records = records.filter((r) => r.offset < end)
    if (records.length > 0) {
      const timestamps = new Array<number>(records.length)
      for (let i = 0; i < records.length; i++) {
        const ts = (records[i] as ConsumerRecord).timestamp
        timestamps[i] = ts >= 0 ? ts : NO_TIMESTAMP
      }
      await offer({ task, input: info.input }, { kind: 'batch', input: info.input, sender: 0, values: records, timestamps, onDone }, signal)
    }
    if (batch.nextOffset >= end) {
      this.#consumer.pause([{ topic: batch.topic, partition: batch.partition }])
      await this.#end(task, info.input, tp, signal)
    }
  }

  async #end(task: StreamTask, input: number, tp: string, signal: AbortSignal): Promise<void> {
    if (this.#ended.has(tp)) return
    this.#ended.add(tp)
    await offer({ task, input }, { kind: 'end', input, sender: 0 }, signal)
  }

  /** Commits processed offsets once the sinks of their tasks wrote the output. */
  async #commit(only?: ReadonlySet<string>): Promise<void> {
    const entries: Processed[] = []
    for (const [k, p] of this.#processed) {
      if (only !== undefined && !only.has(k)) continue
      entries.push(p)
      this.#processed.delete(k)
    }
    if (entries.length === 0) return
    const flushes: Promise<void>[] = []
    for (const e of entries) {
      const p = this.#owner.get(tpKey(e.topic, e.partition))?.prepareCommit()
      if (p !== undefined) flushes.push(p)
    }
    if (flushes.length > 0) await Promise.all(flushes)
    try {
      await this.#consumer.commit(entries)
    } catch (err) {
      if (!isRebalanceError(err)) throw err
      // A rebalance got in the way: the revoke commits these, or the partitions moved on (at-least-once).
      for (const e of entries) if (!this.#processed.has(tpKey(e.topic, e.partition))) this.#processed.set(tpKey(e.topic, e.partition), e)
    }
    this.#lastCommit = this.#o.clock.now()
  }

  async #revoked(partitions: TopicPartition[]): Promise<void> {
    const keys = new Set<string>()
    const tasks = new Set<StreamTask>()
    for (const tp of partitions) {
      keys.add(tpKey(tp.topic, tp.partition))
      const task = this.#o.tasks[tp.partition]
      if (task !== undefined && this.#o.inputs.has(tp.topic) && this.#o.lifecycle.isRunning(task)) tasks.add(task)
    }
    // The tasks finish the letters they hold (only the one in progress when the job stops).
    await whenIdle(tasks)
    if (!this.#closing) await this.#commit(keys)
    for (const k of keys) {
      this.#processed.delete(k)
      this.#owner.delete(k)
      this.#ended.delete(k)
    }
    if (this.#closing) return
    for (const task of tasks) if (!this.#o.lifecycle.isFinished(task)) this.#suspended.add(task)
  }

  async #assigned(assigned: TopicPartition[]): Promise<void> {
    if (!this.#ready) {
      this.#ready = await this.#allMembersJoined()
      if (!this.#ready) {
        // Wait for the generation holding every instance (the next rebalance).
        this.#consumer.pause(assigned)
        return
      }
      const held = this.#consumer.paused()
      if (held.length > 0) this.#consumer.resume(held)
    }
    const owned = new Set(this.#consumer.assignment().filter((tp) => this.#o.inputs.has(tp.topic)).map((tp) => tp.partition))
    for (const task of this.#suspended) if (!owned.has(task.index)) await this.#o.lifecycle.stop(task)
    this.#suspended.clear()
    const signal = this.#o.signal
    for (const tp of assigned) {
      const task = this.#o.tasks[tp.partition]
      if (task === undefined || this.#o.lifecycle.isFinished(task)) continue
      this.#o.lifecycle.start(task)
      const info = this.#o.inputs.get(tp.topic)
      if (info?.kind !== 'source' || !info.spec.bounded) continue
      const k = tpKey(tp.topic, tp.partition)
      const end = this.#ends.get(k) ?? 0
      const [committed] = await this.#consumer.committed([tp])
      const from = committed !== undefined && committed.offset >= 0 ? committed.offset : 0
      if (from < end) continue
      this.#consumer.pause([tp])
      await this.#end(task, info.input, k, signal)
    }
    // A task without a partition of a source topic has nothing to read there.
    const tasks = this.#o.tasks
    for (const s of this.#sources) {
      for (let p = s.partitions; p < tasks.length; p++) {
        const task = tasks[p] as StreamTask
        if (assigned.some((tp) => tp.partition === p) && !this.#o.lifecycle.isFinished(task)) await this.#end(task, s.input, tpKey(s.spec.topic, p), signal)
      }
    }
  }

  /** True once the group's generation holds every instance of the job. */
  async #allMembersJoined(): Promise<boolean> {
    const admin = this.#o.client.admin()
    try {
      const group = await admin.describeGroup(this.#groupId)
      return (group.state === 'Stable' || group.state === 'CompletingRebalance') && group.members.length >= this.#o.members
    } finally {
      await admin.close()
    }
  }
}
