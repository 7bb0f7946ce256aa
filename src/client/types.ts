/**
 * @module The one Producer / Consumer / Admin interface. Two implementations: embedded (in-process,
 * over src/broker) and Kafka (over a Kafka client library, against our wire server or any
 * Kafka/Redpanda cluster). The stream processor and the CLI depend only on this file.
 *
 * Offsets are JS numbers (exact below 2^53, which no real log reaches).
 */

export interface TopicPartition {
  topic: string
  partition: number
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number
  metadata?: string | null
}

export interface RecordHeader {
  key: string
  value: Buffer | null
}

export interface ProducerRecord {
  topic: string
  key?: Buffer | string | null
  value: Buffer | string | null
  headers?: readonly { key: string; value: Buffer | string | null }[]
  /** Explicit partition; otherwise chosen by key (murmur2, as Kafka) or spread when keyless. */
  partition?: number
  /** Create time in ms; defaults to the producer's clock. */
  timestamp?: number
}

/** One entry per partition batch written by a send. */
export interface RecordMetadata {
  topic: string
  partition: number
  baseOffset: number
  lastOffset: number
  /** Log-append time for LogAppendTime topics, else -1. */
  logAppendTime: number
}

export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export interface ProducerOptions {
  clientId?: string
  /** -1 (all, default): acknowledged once durable; 1: once written; 0: not awaited. */
  acks?: -1 | 0 | 1
  compression?: CompressionType
  /** Idempotent produce (producer id + sequences) where the implementation supports it. */
  idempotent?: boolean
  /** How keyless records spread: 'sticky' (one partition per send, default) or 'round-robin'. */
  keylessPartitioner?: 'sticky' | 'round-robin'
}

export interface SendOptions {
  signal?: AbortSignal
}

export interface Producer {
  /** Sends records (grouped into one batch per partition); resolves once acknowledged per `acks`. */
  send(records: readonly ProducerRecord[], options?: SendOptions): Promise<RecordMetadata[]>
  close(): Promise<void>
}

export interface ConsumerRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: readonly RecordHeader[]
}

export interface ConsumerBatch {
  topic: string
  partition: number
  records: ConsumerRecord[]
  highWatermark: number
  /** Offset after the last record of this batch: the position to commit once it is processed. */
  nextOffset: number
}

export interface RebalanceListener {
  /** Called before partitions are taken away; commit or flush their work here. */
  onPartitionsRevoked?(partitions: TopicPartition[]): Promise<void> | void
  onPartitionsAssigned?(partitions: TopicPartition[]): Promise<void> | void
}

export type OffsetResetPolicy = 'earliest' | 'latest' | 'none'
export type AssignorName = 'cooperative-sticky' | 'range' | 'roundrobin'

export interface ConsumerOptions {
  /** Required for subscribe() and for committing. */
  groupId?: string
  clientId?: string
  /** Where to start a partition without a committed offset (default 'latest', as Kafka). */
  autoOffsetReset?: OffsetResetPolicy
  /** Commit consumed positions every autoCommitIntervalMs (default false: commit explicitly). */
  autoCommit?: boolean
  autoCommitIntervalMs?: number
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  rebalanceTimeoutMs?: number
  /** Preferred first; all members must share one. Default ['range', 'roundrobin']. */
  assignors?: readonly AssignorName[]
  maxWaitMs?: number
  minBytes?: number
  maxBytes?: number
  maxPartitionBytes?: number
  isolationLevel?: 'read_uncommitted' | 'read_committed'
  rebalanceListener?: RebalanceListener
}

export type SeekTarget = number | 'earliest' | 'latest' | { timestamp: number }

export interface Consumer {
  /** Joins the consumer group and follows its assignment. */
  subscribe(topics: readonly string[]): Promise<void>
  /** Reads the given partitions directly, without group membership. */
  assign(partitions: readonly TopicPartition[]): Promise<void>
  assignment(): TopicPartition[]
  /** Moves the position of an assigned partition. */
  seek(partition: TopicPartition, target: SeekTarget): Promise<void>
  /** Next offset to be read from the partition. */
  position(partition: TopicPartition): number
  /**
   * Batches as they arrive, one per partition fetch, until the signal aborts or close() is called.
   * The position advances as batches are yielded.
   */
  batches(options?: { signal?: AbortSignal }): AsyncIterable<ConsumerBatch>
  /** Commits the given offsets, or the current positions of all assigned partitions. */
  commit(offsets?: readonly TopicPartitionOffset[]): Promise<void>
  committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>
  pause(partitions: readonly TopicPartition[]): void
  resume(partitions: readonly TopicPartition[]): void
  paused(): TopicPartition[]
  /** Leaves the group (after committing when autoCommit is on) and stops iteration. */
  close(): Promise<void>
}

export interface NewTopic {
  name: string
  partitions?: number
  configs?: Record<string, string>
}

export interface PartitionInfo {
  partition: number
  logStartOffset: number
  logEndOffset: number
}

export interface TopicInfo {
  name: string
  internal: boolean
  partitions: PartitionInfo[]
  configs: Record<string, string>
}

export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number }

export interface PartitionOffset {
  partition: number
  offset: number
  timestamp: number
}

export interface GroupListing {
  groupId: string
  state: string
  protocolType: string
}

export interface GroupMemberInfo {
  memberId: string
  clientId: string
  clientHost: string
  assignment: TopicPartition[]
}

export interface GroupInfo {
  groupId: string
  state: string
  protocolType: string
  protocol: string
  members: GroupMemberInfo[]
}

export interface GroupOffsetLag extends TopicPartition {
  /** -1 when nothing is committed. */
  committedOffset: number
  logEndOffset: number
  /** logEndOffset - committedOffset (from the log start when nothing is committed). */
  lag: number
  metadata: string | null
}

export type ResetTarget = 'earliest' | 'latest' | { offset: number } | { timestamp: number }

export interface Admin {
  createTopics(topics: readonly NewTopic[]): Promise<void>
  deleteTopics(names: readonly string[]): Promise<void>
  listTopics(options?: { includeInternal?: boolean }): Promise<string[]>
  describeTopics(names: readonly string[]): Promise<TopicInfo[]>
  /** Grows a topic to `totalCount` partitions. */
  createPartitions(topic: string, totalCount: number): Promise<void>
  /** Sets (string) or removes (null) topic configs. */
  alterTopicConfigs(topic: string, configs: Record<string, string | null>): Promise<void>
  listOffsets(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]>
  listGroups(): Promise<GroupListing[]>
  describeGroup(groupId: string): Promise<GroupInfo>
  fetchGroupOffsets(groupId: string, topics?: readonly string[]): Promise<TopicPartitionOffset[]>
  /** Committed offset, end offset and lag for every partition the group has committed. */
  groupLag(groupId: string): Promise<GroupOffsetLag[]>
  /** Resets committed offsets of an inactive group for the topic's partitions; returns the new offsets. */
  resetGroupOffsets(groupId: string, topic: string, target: ResetTarget, partitions?: readonly number[]): Promise<TopicPartitionOffset[]>
  deleteGroups(groupIds: readonly string[]): Promise<void>
  close(): Promise<void>
}

/** Entry point shared by the implementations. */
export interface Client {
  producer(options?: ProducerOptions): Producer
  consumer(options?: ConsumerOptions): Consumer
  admin(): Admin
  close(): Promise<void>
}
