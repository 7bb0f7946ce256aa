/**
 * @module The broker: owns a data directory (locked), its topics and partition logs, the group
 * coordinator and the metrics. Produce appends batches as sent (the log assigns offsets in place);
 * fetch returns stored batches as they are. The embedded client and the Kafka wire server both call
 * this class, so the semantics live here once.
 */
import fs from 'node:fs/promises'
import { type Clock, type TimerHandle, systemClock } from '../util/clock.ts'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { checkBatch } from '../protocol/records/batch-header.ts'
import { MetricsRegistry } from '../metrics/registry.ts'
import { acquireDataDirLock } from '../log/data-dir-lock.ts'
import { openPartitionLog } from '../log/partition-log.ts'
import { BrokerMetrics, countRecords } from './broker-metrics.ts'
import { longPollFetch } from './fetch.ts'
import { DEFAULT_COORDINATOR_CONFIG, GroupCoordinator } from './group/coordinator.ts'
import { OffsetsStore } from './group/offsets-store.ts'
import { type Transactions, openTransactions } from './producer-state/transactions.ts'
import { brokerLogDefaults, renderTopicConfigs } from './topic-config.ts'
import { TRANSACTION_STATE_TOPIC } from './producer-state/transaction-log.ts'
import { OFFSETS_TOPIC, type PartitionRuntime, type Topic, TopicManager, validateTopicName } from './topic-manager.ts'
import {
  type BrokerConfig,
  type CreateTopicOptions,
  type FetchOptions,
  type FetchPartitionRequest,
  type FetchPartitionResult,
  type GroupCoordinatorApi,
  type ListOffsetResult,
  type OffsetSpec,
  type ProduceOptions,
  type ProduceResult,
  type TopicDescription,
} from './types.ts'

/** Internal topics only the broker's group and transaction coordinators write, alter or delete. */
const BROKER_MANAGED_TOPICS: ReadonlySet<string> = new Set([OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC])

export interface BrokerOptions {
  clock?: Clock
  /** Where the broker registers its metrics; a new registry by default. */
  metrics?: MetricsRegistry
}

const DEFAULT_MAINTENANCE_INTERVAL_MS = 5 * 60 * 1000
const DEFAULT_MAX_PARTITIONS = 10_000
/** Small segments so compaction of the offsets topic can start early (Kafka uses 100 MiB). */
const OFFSETS_SEGMENT_BYTES = 16 * 1024 * 1024

function positiveInt(value: number | undefined, fallback: number, name: string, min = 1): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < min) throw new TributaryError(ErrorCode.INVALID_CONFIG, `broker config ${name} must be an integer >= ${min}, got ${v}`)
  return v
}

interface ResolvedConfig {
  dataDir: string
  defaultPartitions: number
  autoCreateTopics: boolean
  maintenanceIntervalMs: number
  offsetsTopicPartitions: number
  maxPartitionsPerTopic: number
}

export class Broker {
  readonly groups: GroupCoordinatorApi
  /** Idempotent and transactional producers: the coordinator and what read_committed reads need. */
  readonly transactions: Transactions
  readonly metrics: MetricsRegistry
  readonly #config: ResolvedConfig
  readonly #clock: Clock
  readonly #topics: TopicManager
  readonly #coordinator: GroupCoordinator
  readonly #brokerMetrics: BrokerMetrics
  readonly #lock: { release(): Promise<void> }
  readonly #closing = new AbortController()
  #closed: Promise<void> | undefined
  #maintenanceTimer: TimerHandle | undefined
  #maintenanceRun: Promise<number> | undefined

  private constructor(
    config: ResolvedConfig,
    clock: Clock,
    metrics: MetricsRegistry,
    topics: TopicManager,
    coordinator: GroupCoordinator,
    brokerMetrics: BrokerMetrics,
    lock: { release(): Promise<void> },
    transactions: Transactions,
  ) {
    this.#config = config
    this.#clock = clock
    this.metrics = metrics
    this.#topics = topics
    this.#coordinator = coordinator
    this.groups = coordinator
    this.#brokerMetrics = brokerMetrics
    this.#lock = lock
    this.transactions = transactions
  }

  /**
   * Opens (or creates) the broker in `config.dataDir`: takes the directory lock (LOG_LOCKED if another
   * broker holds it), reopens every topic, restores committed offsets and starts maintenance.
   */
  static async open(config: BrokerConfig, options: BrokerOptions = {}): Promise<Broker> {
    if (typeof config.dataDir !== 'string' || config.dataDir.length === 0) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, 'broker config dataDir must be a non-empty path')
    }
    const maxPartitionsPerTopic = positiveInt(config.maxPartitionsPerTopic, DEFAULT_MAX_PARTITIONS, 'maxPartitionsPerTopic')
    const resolved: ResolvedConfig = {
      dataDir: config.dataDir,
      defaultPartitions: positiveInt(config.defaultPartitions, 1, 'defaultPartitions'),
      autoCreateTopics: config.autoCreateTopics ?? false,
      maintenanceIntervalMs: positiveInt(config.maintenanceIntervalMs, DEFAULT_MAINTENANCE_INTERVAL_MS, 'maintenanceIntervalMs'),
      offsetsTopicPartitions: positiveInt(config.offsetsTopicPartitions, 1, 'offsetsTopicPartitions'),
      maxPartitionsPerTopic,
    }
    if (resolved.defaultPartitions > maxPartitionsPerTopic || resolved.offsetsTopicPartitions > maxPartitionsPerTopic) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, `partition counts must not exceed maxPartitionsPerTopic (${maxPartitionsPerTopic})`)
    }
    const coordinatorConfig = {
      minSessionTimeoutMs: positiveInt(config.groupMinSessionTimeoutMs, DEFAULT_COORDINATOR_CONFIG.minSessionTimeoutMs, 'groupMinSessionTimeoutMs'),
      maxSessionTimeoutMs: positiveInt(config.groupMaxSessionTimeoutMs, DEFAULT_COORDINATOR_CONFIG.maxSessionTimeoutMs, 'groupMaxSessionTimeoutMs'),
      initialRebalanceDelayMs: positiveInt(config.groupInitialRebalanceDelayMs, 0, 'groupInitialRebalanceDelayMs', 0),
      offsetMetadataMaxBytes: positiveInt(config.offsetMetadataMaxBytes, DEFAULT_COORDINATOR_CONFIG.offsetMetadataMaxBytes, 'offsetMetadataMaxBytes', 0),
    }
    if (coordinatorConfig.minSessionTimeoutMs > coordinatorConfig.maxSessionTimeoutMs) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, 'groupMinSessionTimeoutMs is larger than groupMaxSessionTimeoutMs')
    }
    const defaults = brokerLogDefaults(config.logDefaults)
    const clock = options.clock ?? systemClock
    const metrics = options.metrics ?? new MetricsRegistry()

    await fs.mkdir(config.dataDir, { recursive: true })
    const lock = await acquireDataDirLock(config.dataDir)
    let topics: TopicManager | undefined
    try {
      topics = await TopicManager.open({
        dataDir: config.dataDir,
        defaults,
        maxPartitions: maxPartitionsPerTopic,
        openLog: (dir, logConfig) => openPartitionLog(dir, logConfig, { clock }),
      })
      const offsetsTopic =
        topics.get(OFFSETS_TOPIC) ??
        (await topics.create(OFFSETS_TOPIC, resolved.offsetsTopicPartitions, {
          'cleanup.policy': 'compact',
          'segment.bytes': String(OFFSETS_SEGMENT_BYTES),
          // Commits are acknowledged only once on disk, whatever the broker's default flush policy.
          'flush.mode': 'fsync',
        }))
      const store = new OffsetsStore(
        offsetsTopic.partitions.map((p) => p.log),
        clock,
      )
      const manager = topics
      const coordinator = new GroupCoordinator({
        clock,
        store,
        metrics,
        config: coordinatorConfig,
        partitions: {
          partitionCount: (topic) => manager.get(topic)?.partitions.length,
          partitionOffsets: (topic, partition) => {
            const p = manager.get(topic)?.partitions[partition]
            return p === undefined || p.closed ? undefined : { logStartOffset: p.log.logStartOffset, highWatermark: p.log.highWatermark }
          },
        },
      })
      coordinator.restore(store.load().records)
      const transactions = await openTransactions({ dataDir: config.dataDir, clock, topics, groups: coordinator })
      const brokerMetrics = new BrokerMetrics(metrics, () => manager.topics())
      const broker = new Broker(resolved, clock, metrics, topics, coordinator, brokerMetrics, lock, transactions)
      broker.#scheduleMaintenance()
      return broker
    } catch (e) {
      await topics?.closeAll().catch(() => undefined)
      await lock.release().catch(() => undefined)
      throw e
    }
  }

  get dataDir(): string {
    return this.#config.dataDir
  }

  /** Whether produce (and the wire server's metadata requests) create unknown topics. */
  get autoCreateTopics(): boolean {
    return this.#config.autoCreateTopics
  }

  get closed(): boolean {
    return this.#closed !== undefined
  }

  // ---- topics ----

  /** Creates a topic; names starting with "__" are internal (hidden from listTopics by default). */
  async createTopic(name: string, options: CreateTopicOptions = {}): Promise<TopicDescription> {
    this.#checkOpen()
    const topic = await this.#topics.create(name, options.partitions ?? this.#config.defaultPartitions, options.configs ?? {})
    return this.#describe(topic)
  }

  /** Deletes a topic, its files and every group's committed offsets for it. */
  async deleteTopic(name: string): Promise<void> {
    this.#checkOpen()
    this.#checkNotBrokerManaged(name)
    await this.#topics.delete(name)
    this.#brokerMetrics.forgetTopic(name)
    await this.#coordinator.onTopicDeleted(name)
  }

  /** Topic names, sorted; internal topics only when asked for. */
  listTopics(options: { includeInternal?: boolean } = {}): string[] {
    this.#checkOpen()
    const names: string[] = []
    for (const t of this.#topics.topics()) if (options.includeInternal === true || !t.internal) names.push(t.name)
    return names.sort()
  }

  /** The name of the topic with this id (TopicDescription.id), or undefined. */
  topicNameById(id: string): string | undefined {
    this.#checkOpen()
    for (const t of this.#topics.topics()) if (t.id === id) return t.name
    return undefined
  }

  hasTopic(name: string): boolean {
    this.#checkOpen()
    return this.#topics.get(name) !== undefined
  }

  describeTopic(name: string): TopicDescription {
    this.#checkOpen()
    const topic = this.#topics.get(name)
    if (topic === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `topic '${name}' does not exist`)
    return this.#describe(topic)
  }

  /** Sets (string) or removes (null) topic configs; all are validated before any applies. */
  async alterTopicConfigs(name: string, configs: Record<string, string | null>): Promise<void> {
    this.#checkOpen()
    await this.#topics.alterConfigs(name, configs)
  }

  /** Grows the topic to `totalCount` partitions; INVALID_PARTITIONS unless it grows. */
  async createPartitions(name: string, totalCount: number): Promise<void> {
    this.#checkOpen()
    // The offsets topic's partition count decides where each group's commits live.
    this.#checkNotBrokerManaged(name)
    await this.#topics.addPartitions(name, totalCount)
  }

  // ---- data ----

  /**
   * Appends RecordBatch v2 bytes (one or more batches) to a partition. The log validates framing,
   * CRC and size (CORRUPT_RECORD, RECORD_TOO_LARGE) and changes nothing on error.
   */
  async produce(topic: string, partition: number, batches: Buffer, options: ProduceOptions = {}): Promise<ProduceResult> {
    this.#checkOpen()
    const acks = options.acks ?? -1
    if (acks !== -1 && acks !== 0 && acks !== 1) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `acks must be -1, 0 or 1, got ${String(acks)}`)
    if (!Buffer.isBuffer(batches)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'batches must be a Buffer')
    if (BROKER_MANAGED_TOPICS.has(topic)) throw new TributaryError(ErrorCode.INVALID_TOPIC_NAME, `'${topic}' is written only by the broker's coordinators`)
    if (this.#config.autoCreateTopics && this.#topics.get(topic) === undefined) {
      validateTopicName(topic)
      // Check the bytes before creating anything, so a bad request leaves no topic behind.
      precheckBatches(batches, Infinity)
      await this.#autoCreate(topic)
    }
    const p = this.#topics.partition(topic, partition)
    const m = this.#brokerMetrics
    if (acks === 0) {
      precheckBatches(batches, p.log.config.maxMessageBytes)
      // Not awaited by the caller; failures still show in the metrics.
      this.#append(p, batches).catch(() => m.failedProduce.labels(topic).inc())
      return { baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: -1 }
    }
    try {
      return await this.#append(p, batches)
    } catch (e) {
      m.failedProduce.labels(topic).inc()
      throw e
    }
  }

  /** Fetches whole stored batches per partition, long-polling as `options` say (see fetch.ts). */
  async fetch(requests: readonly FetchPartitionRequest[], options: FetchOptions): Promise<FetchPartitionResult[]> {
    this.#checkOpen()
    const start = this.#clock.now()
    const results = await longPollFetch(
      { clock: this.#clock, closing: this.#closing.signal, partition: (t, p) => this.#topics.partition(t, p) },
      requests,
      options,
    )
    for (const r of results) {
      if (r.records.length === 0) continue
      const p = this.#topics.get(r.topic)?.partitions[r.partition]
      if (p === undefined) continue
      const pm = this.#brokerMetrics.of(p)
      pm.messagesOut.inc(countRecords(r.records))
      pm.bytesOut.inc(r.records.length)
    }
    this.#brokerMetrics.fetchLatency.record(this.#clock.now() - start)
    return results
  }

  /**
   * The log start ('earliest'), the high watermark ('latest'), or the first offset whose batch has a
   * timestamp >= the given one (-1 when there is none). Timestamps -2 and -1 mean earliest and latest,
   * as in Kafka's ListOffsets.
   */
  async listOffsets(topic: string, partition: number, spec: OffsetSpec): Promise<ListOffsetResult> {
    this.#checkOpen()
    const log = this.#topics.partition(topic, partition).log
    if (spec === 'earliest') return { offset: log.logStartOffset, timestamp: -1 }
    if (spec === 'latest') return { offset: log.highWatermark, timestamp: -1 }
    const ts = typeof spec === 'object' && spec !== null ? spec.timestamp : undefined
    if (ts === -2) return { offset: log.logStartOffset, timestamp: -1 }
    if (ts === -1) return { offset: log.highWatermark, timestamp: -1 }
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `invalid offset spec ${JSON.stringify(spec)}`)
    }
    const found = log.offsetForTimestamp(ts)
    // Data past the high watermark is not readable yet, so it is not an answer either.
    if (found === undefined || found.offset >= log.highWatermark) return { offset: -1, timestamp: -1 }
    return { offset: found.offset, timestamp: found.timestamp }
  }

  // ---- lifecycle ----

  /**
   * Runs retention, segment rolling and compaction on every partition now (the timer does this every
   * maintenanceIntervalMs) and drops groups left empty without offsets. Returns the segments deleted.
   * A partition that fails is counted in the metrics and the others still run; the first error is thrown.
   * A run asked for while another is under way starts after it.
   */
  runMaintenance(): Promise<number> {
    this.#checkOpen()
    // Runs never overlap: a run asked for during another starts when that one ends.
    const run = (this.#maintenanceRun ?? Promise.resolve()).catch(() => undefined).then(() => this.#maintain())
    this.#maintenanceRun = run
    return run
  }

  async #maintain(): Promise<number> {
    const now = this.#clock.now()
    let deleted = 0
    let firstError: unknown
    for (const topic of [...this.#topics.topics()]) {
      for (const p of topic.partitions) {
        if (p.closed) continue
        p.enter()
        try {
          deleted += await p.log.runMaintenance(now)
        } catch (e) {
          this.#brokerMetrics.maintenanceErrors.inc()
          firstError ??= e
        } finally {
          p.leave()
        }
      }
    }
    this.#coordinator.runMaintenance()
    if (firstError !== undefined) throw firstError
    return deleted
  }

  /**
   * Stops maintenance, answers waiting fetches with what they have, fails parked group requests with
   * CLOSED, waits for appends in flight, closes every log cleanly and releases the directory lock.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown()
    return this.#closed
  }

  async #shutdown(): Promise<void> {
    this.#maintenanceTimer?.cancel()
    this.#maintenanceTimer = undefined
    this.#closing.abort()
    await this.#maintenanceRun?.catch(() => undefined)
    try {
      this.transactions.close()
      await this.#coordinator.close()
      await this.#topics.closeAll()
      // Only after a clean close: a snapshot must not cover data that did not reach the disk.
      await this.transactions.snapshot()
    } finally {
      this.#brokerMetrics.close()
      await this.#lock.release()
    }
  }

  // ---- internals ----

  async #append(p: PartitionRuntime, batches: Buffer): Promise<ProduceResult> {
    const start = this.#clock.now()
    p.enter()
    try {
      // Through the producer state: sequence checks, duplicates and transactions.
      const result = await this.transactions.producers.append(p, batches)
      const pm = this.#brokerMetrics.of(p)
      pm.messagesIn.inc(countRecords(batches))
      pm.bytesIn.inc(batches.length)
      this.#brokerMetrics.produceLatency.record(this.#clock.now() - start)
      return result
    } finally {
      p.leave()
    }
  }

  async #autoCreate(topic: string): Promise<void> {
    try {
      await this.#topics.create(topic, this.#config.defaultPartitions, {})
    } catch (e) {
      // Another produce created it first: fine.
      if (!(e instanceof TributaryError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw e
    }
  }

  #describe(topic: Topic): TopicDescription {
    return {
      name: topic.name,
      id: topic.id,
      internal: topic.internal,
      partitions: topic.partitions.map((p) => ({
        partition: p.index,
        logStartOffset: p.log.logStartOffset,
        logEndOffset: p.log.logEndOffset,
        highWatermark: p.log.highWatermark,
        sizeInBytes: p.log.sizeInBytes,
      })),
      configs: renderTopicConfigs(topic.config),
    }
  }

  #scheduleMaintenance(): void {
    this.#maintenanceTimer = this.#clock.setTimeout(() => {
      this.#maintenanceTimer = undefined
      if (this.closed) return
      // Failures are counted in the metrics; the next run is timed from the end of this one.
      void this.runMaintenance()
        .catch(() => undefined)
        .then(() => {
          if (!this.closed) this.#scheduleMaintenance()
        })
    }, this.#config.maintenanceIntervalMs)
  }

  #checkNotBrokerManaged(name: string): void {
    if (BROKER_MANAGED_TOPICS.has(name)) throw new TributaryError(ErrorCode.INVALID_TOPIC_NAME, `'${name}' is managed by the broker`)
  }

  #checkOpen(): void {
    if (this.#closed !== undefined) throw new TributaryError(ErrorCode.CLOSED, 'the broker is closed')
  }
}

/**
 * Framing and CRC of every batch, checked before anything happens (acks=0 and auto-create, where the
 * log's own validation would come too late to report).
 */
function precheckBatches(batches: Buffer, maxMessageBytes: number): void {
  if (batches.length === 0) throw new TributaryError(ErrorCode.CORRUPT_RECORD, 'no record batch in the request')
  let pos = 0
  while (pos < batches.length) {
    const check = checkBatch(batches, pos, batches.length)
    if (check.kind !== 'ok') throw new TributaryError(ErrorCode.CORRUPT_RECORD, `batch at byte ${pos}: ${check.reason}`)
    if (check.sizeInBytes > maxMessageBytes) {
      throw new TributaryError(ErrorCode.RECORD_TOO_LARGE, `batch of ${check.sizeInBytes} bytes exceeds max.message.bytes ${maxMessageBytes}`)
    }
    pos += check.sizeInBytes
  }
}
