/**
 * @module The in-process broker API. The embedded client and the Kafka wire server (a thin
 * translation layer) both call exactly this surface, so the semantics live in one place.
 * Errors are TributaryError with a code; the wire server maps codes to Kafka error codes.
 */
import type { LogConfig, ReadBuffers } from '../log/types.ts'

export interface TopicPartition {
  topic: string
  partition: number
}

export interface CreateTopicOptions {
  partitions?: number
  /** Kafka-style topic configs as strings: retention.ms, retention.bytes, cleanup.policy,
   * max.message.bytes, segment.bytes, segment.ms, delete.retention.ms, message.timestamp.type,
   * flush.mode (fsync|interval|never), flush.interval.ms. Unknown keys are rejected. */
  configs?: Record<string, string>
}

export interface PartitionState {
  partition: number
  logStartOffset: number
  logEndOffset: number
  highWatermark: number
  sizeInBytes: number
}

export interface TopicDescription {
  name: string
  /** The topic's id, a UUID string (Kafka's topicId): tells a topic from an earlier one of the same name. */
  id: string
  internal: boolean
  partitions: PartitionState[]
  /** Effective configs, Kafka-style keys. */
  configs: Record<string, string>
}

export interface ProduceOptions {
  /**
   * -1 (default) and 1: resolve once appended as the topic's flush policy requires (this broker has
   * no replicas, so the two are the same). 0: resolve at once without offsets (-1); a bad batch
   * still throws, since it is checked before anything is written.
   */
  acks?: -1 | 0 | 1
}

export interface ProduceResult {
  baseOffset: number
  lastOffset: number
  logAppendTime: number
  logStartOffset: number
}

export interface FetchPartitionRequest {
  topic: string
  partition: number
  offset: number
  /** Per-partition byte limit. */
  maxBytes: number
}

export interface FetchPartitionResult {
  topic: string
  partition: number
  /** Whole stored batches (possibly empty). */
  records: Buffer
  highWatermark: number
  logStartOffset: number
  /** Set instead of records for this partition's error (OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC, ...). */
  error?: { code: string; message: string }
}

export interface FetchOptions {
  /** Long-poll: wait up to this long for at least `minBytes` across partitions. */
  maxWaitMs: number
  minBytes: number
  /** Response-wide byte limit (the first batch is always returned whole). */
  maxBytes: number
  signal?: AbortSignal
  /** Where the log reads go (see ReadBuffers); fresh buffers when absent. */
  readBuffers?: ReadBuffers
}

export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number }

export interface ListOffsetResult {
  offset: number
  /** Timestamp of the found batch for timestamp lookups, else -1. */
  timestamp: number
}

// ---- consumer groups (classic protocol semantics) ----

export interface JoinGroupRequest {
  groupId: string
  /** '' on the first join. */
  memberId: string
  groupInstanceId?: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: { name: string; metadata: Buffer }[]
  /** JoinGroup v4+: reply MEMBER_ID_REQUIRED with a generated member id to a first join. */
  requireKnownMemberId?: boolean
  signal?: AbortSignal
}

export interface JoinGroupResult {
  generationId: number
  protocolType: string
  protocolName: string
  leader: string
  memberId: string
  /** Non-empty only for the leader. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]
}

export interface SyncGroupRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId?: string | null
  /** Only the leader sends assignments. */
  assignments: { memberId: string; assignment: Buffer }[]
  signal?: AbortSignal
}

export interface OffsetCommitEntry {
  topic: string
  partition: number
  offset: number
  metadata?: string | null
}

export interface CommitOffsetsRequest {
  groupId: string
  /** -1 with memberId '' for a commit from outside the group protocol (simple/admin). */
  generationId: number
  memberId: string
  offsets: OffsetCommitEntry[]
}

export interface CommittedOffset {
  topic: string
  partition: number
  /** -1 when nothing is committed. */
  offset: number
  metadata: string | null
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export interface GroupMemberDescription {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  metadata: Buffer
  assignment: Buffer
}

export interface GroupDescription {
  groupId: string
  state: GroupState
  protocolType: string
  protocolName: string
  generationId: number
  members: GroupMemberDescription[]
}

export interface GroupListing {
  groupId: string
  state: GroupState
  protocolType: string
}

export interface GroupPartitionLag extends TopicPartition {
  /** -1 when nothing is committed. */
  committedOffset: number
  /** The high watermark: the end of what the group can read. */
  logEndOffset: number
  /** logEndOffset - committedOffset (from the log start when nothing is committed), never negative. */
  lag: number
  metadata: string | null
}

export interface GroupCoordinatorApi {
  joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult>
  syncGroup(request: SyncGroupRequest): Promise<Buffer>
  heartbeat(groupId: string, memberId: string, generationId: number): void
  leaveGroup(groupId: string, memberIds: readonly string[]): void
  commitOffsets(request: CommitOffsetsRequest): Promise<void>
  /** All committed offsets of the group, or those of the given partitions. */
  fetchOffsets(groupId: string, partitions?: readonly TopicPartition[]): CommittedOffset[]
  listGroups(): GroupListing[]
  describeGroup(groupId: string): GroupDescription
  /** Removes an empty group and its committed offsets. */
  deleteGroup(groupId: string): Promise<void>
  /** Every partition of the topics the group has committed to, with committed offset, end and lag. */
  groupLag(groupId: string): GroupPartitionLag[]
}

export interface BrokerConfig {
  dataDir: string
  /** Defaults for new topics (topic configs override). */
  logDefaults?: Partial<LogConfig>
  defaultPartitions?: number
  autoCreateTopics?: boolean
  /** Group session timeout bounds (Kafka's group.min/max.session.timeout.ms). */
  groupMinSessionTimeoutMs?: number
  groupMaxSessionTimeoutMs?: number
  /** Delay before the first rebalance of an empty group (Kafka: 3000; default here 0). */
  groupInitialRebalanceDelayMs?: number
  /** How often retention/compaction runs (Kafka: log.retention.check.interval.ms, 300000). */
  maintenanceIntervalMs?: number
  /** Partitions of `__consumer_offsets` when the broker creates it (default 1; fixed afterwards). */
  offsetsTopicPartitions?: number
  /** Longest metadata string of an offset commit (Kafka: offset.metadata.max.bytes, 4096). */
  offsetMetadataMaxBytes?: number
  /** Most partitions one topic may have (default 10000). */
  maxPartitionsPerTopic?: number
}
