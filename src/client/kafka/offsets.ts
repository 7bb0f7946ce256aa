/**
 * @module Offset requests shared by the Kafka consumer and admin: ListOffsets per partition leader,
 * OffsetCommit and OffsetFetch at the group coordinator, with per-partition error codes checked.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type OffsetSpec, type TopicPartition, type TopicPartitionOffset } from '../types.ts'
import { fromKafka, kafkaError } from './errors.ts'
import { type Wire, errorName } from './wire.ts'

const LATEST = -1n
const EARLIEST = -2n

interface ListOffsetsResponse {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number; timestamp: bigint; offset: bigint }[] }[]
}

interface OffsetCommitResponse {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[]
}

interface OffsetFetchResponse {
  groups: {
    groupId: string
    errorCode: number
    topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; metadata: string | null; errorCode: number }[] }[]
  }[]
}

export interface ListedOffset {
  offset: number
  timestamp: number
}

function specTimestamp(spec: OffsetSpec): bigint {
  if (spec === 'earliest') return EARLIEST
  if (spec === 'latest') return LATEST
  return BigInt(spec.timestamp)
}

/**
 * Offsets of `partitions` of `topic` for `spec`, by partition. A timestamp after every record gives
 * offset -1 (as Kafka). read_committed makes 'latest' the last stable offset.
 */
export async function listOffsets(
  wire: Wire,
  topic: string,
  partitions: readonly number[],
  spec: OffsetSpec,
  isolationLevel: 0 | 1 = 0,
): Promise<Map<number, ListedOffset>> {
  const layout = await wire.layout(topic)
  const byLeader = new Map<number, number[]>()
  for (const p of partitions) {
    const leader = (await wire.checkPartition(topic, p)).leaders[p] ?? layout.leaders[p] ?? -1
    const list = byLeader.get(leader) ?? []
    list.push(p)
    byLeader.set(leader, list)
  }
  const timestamp = specTimestamp(spec)
  const out = new Map<number, ListedOffset>()
  for (const [leader, list] of byLeader) {
    let response: ListOffsetsResponse
    try {
      response = await wire.requestPartial<ListOffsetsResponse>('ListOffsets', await wire.node(leader), -1, isolationLevel, [
        { name: topic, partitions: list.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) },
      ])
    } catch (err) {
      throw fromKafka(err, `listing offsets of "${topic}"`, ErrorCode.UNKNOWN_PARTITION)
    }
    for (const t of response.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) {
          wire.forget(topic)
          throw kafkaError(errorName(p.errorCode), `listing offsets of ${topic}/${p.partitionIndex}`)
        }
        out.set(p.partitionIndex, { offset: Number(p.offset), timestamp: Number(p.timestamp) })
      }
    }
  }
  return out
}

/** One partition's offset for `spec` (see listOffsets). */
export async function listOffset(wire: Wire, tp: TopicPartition, spec: OffsetSpec, isolationLevel: 0 | 1 = 0): Promise<ListedOffset> {
  const found = (await listOffsets(wire, tp.topic, [tp.partition], spec, isolationLevel)).get(tp.partition)
  if (found === undefined) throw new TributaryError(ErrorCode.PROTOCOL_ERROR, `the broker did not answer for ${tp.topic}/${tp.partition}`)
  return found
}

function byTopic<T extends TopicPartition>(entries: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const e of entries) {
    const list = out.get(e.topic) ?? []
    list.push(e)
    out.set(e.topic, list)
  }
  return out
}

/** Commits offsets for a group; generation -1 and member '' commit outside any generation (assign(), admin). */
export async function commitOffsets(wire: Wire, groupId: string, generationId: number, memberId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
  if (offsets.length === 0) return
  const topics = [...byTopic(offsets)].map(([name, list]) => ({
    name,
    partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null })),
  }))
  let response: OffsetCommitResponse
  try {
    response = await wire.requestPartial<OffsetCommitResponse>('OffsetCommit', await wire.coordinator(groupId), groupId, generationId, memberId, null, topics)
  } catch (err) {
    const e = fromKafka(err, `committing offsets of group "${groupId}"`)
    if (e.code === ErrorCode.NETWORK_ERROR) wire.forgetCoordinator(groupId)
    throw e
  }
  for (const t of response.topics) {
    for (const p of t.partitions) {
      if (p.errorCode === 0) continue
      if (p.errorCode === 3) throw new TributaryError(ErrorCode.UNKNOWN_PARTITION, `committing offsets of group "${groupId}": ${t.name}/${p.partitionIndex} does not exist`)
      throw kafkaError(errorName(p.errorCode), `committing offsets of group "${groupId}" for ${t.name}/${p.partitionIndex}`)
    }
  }
}

/**
 * Committed offsets of a group: for the given partitions (-1 where nothing is committed), or every
 * committed partition when `partitions` is null.
 */
export async function fetchCommitted(wire: Wire, groupId: string, partitions: readonly TopicPartition[] | null): Promise<TopicPartitionOffset[]> {
  const topics =
    partitions === null ? null : [...byTopic(partitions)].map(([name, list]) => ({ name, partitionIndexes: list.map((tp) => tp.partition) }))
  let response: OffsetFetchResponse
  try {
    response = await wire.requestPartial<OffsetFetchResponse>('OffsetFetch', await wire.coordinator(groupId), [{ groupId, memberId: null, memberEpoch: -1, topics }], false)
  } catch (err) {
    const e = fromKafka(err, `reading committed offsets of group "${groupId}"`)
    if (e.code === ErrorCode.NETWORK_ERROR) wire.forgetCoordinator(groupId)
    throw e
  }
  const group = response.groups.find((g) => g.groupId === groupId) ?? response.groups[0]
  if (group !== undefined && group.errorCode !== 0) throw kafkaError(errorName(group.errorCode), `reading committed offsets of group "${groupId}"`)
  const found = new Map<string, TopicPartitionOffset>()
  for (const t of group?.topics ?? []) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0 && p.errorCode !== 3) throw kafkaError(errorName(p.errorCode), `reading committed offsets of ${t.name}/${p.partitionIndex}`)
      found.set(`${t.name}\u0000${p.partitionIndex}`, { topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), metadata: p.metadata ?? null })
    }
  }
  if (partitions === null) return [...found.values()].filter((o) => o.offset >= 0)
  return partitions.map((tp) => {
    const o = found.get(`${tp.topic}\u0000${tp.partition}`)
    const none = o === undefined || o.offset < 0
    return { topic: tp.topic, partition: tp.partition, offset: none ? -1 : o.offset, metadata: none ? null : (o.metadata ?? null) }
  })
}
