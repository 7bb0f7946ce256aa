/**
 * @module Topics of one broker: names, partitions and configs, their partition logs on disk, and the
 * durable metadata file that lists them. Admin operations run one at a time and change nothing
 * unless they fully succeed: new logs are opened before the metadata names them, and the metadata
 * drops a topic before its files go. Partition directories no topic claims (a crash between those
 * steps) are removed at open.
 *
 * Layout: <dataDir>/topics.json, <dataDir>/logs/<topic>-<partition>/, <dataDir>/trash/ (being deleted).
 */
import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { type LogConfig, type PartitionLog } from '../log/types.ts'
import { type PartitionMetrics } from './broker-metrics.ts'
import { type TopicRecord, readMetadata, syncDir, writeMetadata } from './metadata-store.ts'
import { type TopicConfigOverrides, effectiveLogConfig, mergeTopicConfigs, parseTopicConfigs } from './topic-config.ts'

export const OFFSETS_TOPIC = '__consumer_offsets'
export const MAX_TOPIC_NAME_LENGTH = 249
const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/
/** How many partition logs are opened at once at startup. */
const OPEN_CONCURRENCY = 8

export type OpenLog = (dir: string, config: LogConfig) => Promise<PartitionLog>

/** Names starting with "__" are internal: hidden from listings unless asked for. */
export function isInternalTopic(name: string): boolean {
  return name.startsWith('__')
}

/** Kafka's topic name rules: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
export function validateTopicName(name: unknown): asserts name is string {
  const bad = (why: string): TributaryError =>
    new TributaryError(ErrorCode.INVALID_TOPIC_NAME, `invalid topic name ${JSON.stringify(name)}: ${why}`)
  if (typeof name !== 'string' || name.length === 0) throw bad('it is empty')
  if (name.length > MAX_TOPIC_NAME_LENGTH) throw bad(`it is longer than ${MAX_TOPIC_NAME_LENGTH} characters`)
  if (name === '.' || name === '..') throw bad('"." and ".." are not allowed')
  if (!LEGAL_NAME.test(name)) throw bad('only ASCII letters, digits, ".", "_" and "-" are allowed')
}

/** Kafka treats "." and "_" alike in metric names, so it refuses topics that differ only there. */
function collisionKey(name: string): string {
  return name.replace(/\./g, '_')
}

/** One open partition: its log plus the bookkeeping that lets deletion wait for work in flight. */
export class PartitionRuntime {
  readonly topic: string
  readonly index: number
  readonly dir: string
  readonly log: PartitionLog
  /** Set once the partition is being removed or the broker closes: new work must not start. */
  closed = false
  /** Per-partition metrics, created by the broker on first use. */
  metrics: PartitionMetrics | undefined
  #inflight = 0
  #idle: (() => void)[] = []

  constructor(topic: string, index: number, dir: string, log: PartitionLog) {
    this.topic = topic
    this.index = index
    this.dir = dir
    this.log = log
  }

  /** Marks the start of an operation on the log (produce, maintenance). */
  enter(): void {
    this.#inflight++
  }

  leave(): void {
    if (--this.#inflight === 0 && this.#idle.length > 0) {
      const waiters = this.#idle
      this.#idle = []
      for (const w of waiters) w()
    }
  }

  /** Resolves once no operation is in flight. */
  idle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }
}

export class Topic {
  readonly name: string
  readonly id: string
  readonly internal: boolean
  overrides: TopicConfigOverrides
  config: LogConfig
  readonly partitions: PartitionRuntime[]

  constructor(name: string, id: string, overrides: TopicConfigOverrides, config: LogConfig, partitions: PartitionRuntime[]) {
    this.name = name
    this.id = id
    this.internal = isInternalTopic(name)
    this.overrides = overrides
    this.config = config
    this.partitions = partitions
  }

  record(): TopicRecord {
    return { name: this.name, id: this.id, partitions: this.partitions.length, configs: { ...this.overrides } }
  }
}

export interface TopicManagerOptions {
  dataDir: string
  defaults: LogConfig
  openLog: OpenLog
  maxPartitions: number
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

export class TopicManager {
  readonly #dataDir: string
  readonly #logsDir: string
  readonly #trashDir: string
  readonly #defaults: LogConfig
  readonly #openLog: OpenLog
  readonly #maxPartitions: number
  readonly #topics = new Map<string, Topic>()
  #tail: Promise<void> = Promise.resolve()

  private constructor(options: TopicManagerOptions) {
    this.#dataDir = options.dataDir
    this.#logsDir = path.join(options.dataDir, 'logs')
    this.#trashDir = path.join(options.dataDir, 'trash')
    this.#defaults = options.defaults
    this.#openLog = options.openLog
    this.#maxPartitions = options.maxPartitions
  }

  /** Reads the metadata, reopens every partition log and removes unclaimed partition directories. */
  static async open(options: TopicManagerOptions): Promise<TopicManager> {
    const m = new TopicManager(options)
    await fs.mkdir(m.#logsDir, { recursive: true })
    await fs.rm(m.#trashDir, { recursive: true, force: true })
    await fs.mkdir(m.#trashDir, { recursive: true })
    const metadata = await readMetadata(options.dataDir)
    const existing = await fs.readdir(m.#logsDir)
    if (metadata === undefined && existing.length > 0) {
      throw new TributaryError(
        ErrorCode.STORAGE_ERROR,
        `${options.dataDir} has partition directories but no topics.json; refusing to start rather than guess the topics`,
      )
    }
    const opened: PartitionRuntime[] = []
    try {
      for (const record of metadata?.topics ?? []) {
        let overrides: TopicConfigOverrides
        try {
          overrides = parseTopicConfigs(record.configs)
        } catch (e) {
          throw new TributaryError(ErrorCode.STORAGE_ERROR, `stored configs of topic '${record.name}' are invalid: ${(e as Error).message}`, { cause: e })
        }
        const config = effectiveLogConfig(options.defaults, overrides)
        const indexes = Array.from({ length: record.partitions }, (_, i) => i)
        const topic = new Topic(record.name, record.id, overrides, config, [])
        m.#topics.set(record.name, topic)
        const partitions = await mapLimit(indexes, OPEN_CONCURRENCY, async (i) => {
          const p = await m.#openPartition(record.name, i, config)
          opened.push(p)
          return p
        })
        topic.partitions.push(...partitions)
      }
      const claimed = new Set<string>()
      for (const t of m.#topics.values()) for (const p of t.partitions) claimed.add(path.basename(p.dir))
      const orphans = existing.filter((name) => !claimed.has(name))
      await m.#trash(orphans.map((name) => path.join(m.#logsDir, name)))
      if (metadata === undefined) await writeMetadata(options.dataDir, { topics: [] })
    } catch (e) {
      for (const p of opened) p.closed = true
      await Promise.allSettled(opened.map((p) => p.log.close()))
      throw e
    }
    return m
  }

  get(name: string): Topic | undefined {
    return this.#topics.get(name)
  }

  /** The open partition, or UNKNOWN_TOPIC / UNKNOWN_PARTITION. */
  partition(topicName: string, partition: number): PartitionRuntime {
    const topic = this.#topics.get(topicName)
    if (topic === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `topic '${topicName}' does not exist`)
    const p = Number.isInteger(partition) ? topic.partitions[partition] : undefined
    if (p === undefined || p.closed) {
      throw new TributaryError(ErrorCode.UNKNOWN_PARTITION, `topic '${topicName}' has no partition ${partition}`)
    }
    return p
  }

  topics(): IterableIterator<Topic> {
    return this.#topics.values()
  }

  /** Creates a topic: validates everything, opens its logs, then records it durably. */
  create(name: string, partitions: number, configs: Readonly<Record<string, unknown>>): Promise<Topic> {
    return this.#exclusive(async () => {
      validateTopicName(name)
      if (this.#topics.has(name)) throw new TributaryError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`)
      const key = collisionKey(name)
      for (const other of this.#topics.keys()) {
        if (collisionKey(other) === key) {
          throw new TributaryError(ErrorCode.INVALID_TOPIC_NAME, `topic '${name}' collides with '${other}' ('.' and '_' are the same in metric names)`)
        }
      }
      this.#checkPartitionCount(partitions, 1)
      const overrides = parseTopicConfigs(configs)
      const config = effectiveLogConfig(this.#defaults, overrides)
      const opened: PartitionRuntime[] = []
      try {
        for (let i = 0; i < partitions; i++) opened.push(await this.#openPartition(name, i, config, true))
        const topic = new Topic(name, randomUUID(), overrides, config, opened)
        await writeMetadata(this.#dataDir, { topics: [...this.#records(), topic.record()] })
        this.#topics.set(name, topic)
        return topic
      } catch (e) {
        await this.#discard(opened)
        throw e
      }
    })
  }

  /** Deletes a topic: forgets it durably, waits for its work in flight, then removes its files. */
  delete(name: string): Promise<Topic> {
    return this.#exclusive(async () => {
      const topic = this.#topics.get(name)
      if (topic === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `topic '${name}' does not exist`)
      await writeMetadata(this.#dataDir, { topics: this.#records().filter((r) => r.name !== name) })
      this.#topics.delete(name)
      await this.#discard(topic.partitions)
      return topic
    })
  }

  /** Sets (string) or removes (null) config overrides; all are validated before any applies. */
  alterConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<Topic> {
    return this.#exclusive(async () => {
      const topic = this.#topics.get(name)
      if (topic === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `topic '${name}' does not exist`)
      const overrides = mergeTopicConfigs(topic.overrides, changes)
      const config = effectiveLogConfig(this.#defaults, overrides)
      const record = { ...topic.record(), configs: { ...overrides } }
      await writeMetadata(this.#dataDir, { topics: this.#records().map((r) => (r.name === name ? record : r)) })
      topic.overrides = overrides
      topic.config = config
      for (const p of topic.partitions) p.log.updateConfig(config)
      return topic
    })
  }

  /** Grows a topic to `total` partitions (Kafka never shrinks one). */
  addPartitions(name: string, total: number): Promise<PartitionRuntime[]> {
    return this.#exclusive(async () => {
      const topic = this.#topics.get(name)
      if (topic === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `topic '${name}' does not exist`)
      const current = topic.partitions.length
      this.#checkPartitionCount(total, current + 1)
      const opened: PartitionRuntime[] = []
      try {
        for (let i = current; i < total; i++) opened.push(await this.#openPartition(name, i, topic.config, true))
        const record = { ...topic.record(), partitions: total }
        await writeMetadata(this.#dataDir, { topics: this.#records().map((r) => (r.name === name ? record : r)) })
      } catch (e) {
        await this.#discard(opened)
        throw e
      }
      topic.partitions.push(...opened)
      return opened
    })
  }

  /** Closes every partition log (cleanly: the log writes its clean-shutdown marker). */
  async closeAll(): Promise<void> {
    const all: PartitionRuntime[] = []
    for (const t of this.#topics.values()) all.push(...t.partitions)
    for (const p of all) p.closed = true
    const results = await Promise.allSettled(
      all.map(async (p) => {
        await p.idle()
        await p.log.close()
      }),
    )
    const failed = results.find((r) => r.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
  }

  #checkPartitionCount(count: number, min: number): void {
    if (!Number.isInteger(count) || count < min || count > this.#maxPartitions) {
      throw new TributaryError(
        ErrorCode.INVALID_PARTITIONS,
        `partition count ${count} is invalid: it must be an integer in [${min}, ${this.#maxPartitions}]`,
      )
    }
  }

  #records(): TopicRecord[] {
    return [...this.#topics.values()].map((t) => t.record())
  }

  async #openPartition(topic: string, index: number, config: LogConfig, fresh = false): Promise<PartitionRuntime> {
    const dir = path.join(this.#logsDir, `${topic}-${index}`)
    // A fresh partition must not pick up files of an earlier topic of the same name.
    if (fresh) await this.#trash([dir])
    await fs.mkdir(dir, { recursive: true })
    const log = await this.#openLog(dir, config)
    return new PartitionRuntime(topic, index, dir, log)
  }

  /** Closes partitions and removes their directories (moved to trash first: one atomic rename each). */
  async #discard(partitions: readonly PartitionRuntime[]): Promise<void> {
    for (const p of partitions) p.closed = true
    await Promise.allSettled(
      partitions.map(async (p) => {
        await p.idle()
        await p.log.close()
      }),
    )
    await this.#trash(partitions.map((p) => p.dir))
  }

  async #trash(dirs: readonly string[]): Promise<void> {
    if (dirs.length === 0) return
    const moved: string[] = []
    for (const dir of dirs) {
      const target = path.join(this.#trashDir, `${randomUUID()}-${path.basename(dir)}`)
      try {
        await fs.rename(dir, target)
        moved.push(target)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      }
    }
    if (moved.length === 0) return
    await syncDir(this.#logsDir)
    await Promise.all(moved.map((d) => fs.rm(d, { recursive: true, force: true })))
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn)
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }
}
