/**
 * @module The embedded admin: topics, configs, offsets and consumer groups straight over the broker.
 * Group lag and offset resets are computed here from committed offsets and partition end offsets.
 */
import { type Broker } from '../../broker/broker.ts'
import { decodeAssignment } from '../../protocol/consumer-protocol.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import {
  type Admin,
  type GroupInfo,
  type GroupListing,
  type GroupOffsetLag,
  type NewTopic,
  type OffsetSpec,
  type PartitionOffset,
  type ResetTarget,
  type TopicInfo,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../types.ts'
import { type TopicMetadata, unknownPartition } from './metadata.ts'

export class EmbeddedAdmin implements Admin {
  readonly #broker: Broker
  readonly #metadata: TopicMetadata

  constructor(broker: Broker, metadata: TopicMetadata) {
    this.#broker = broker
    this.#metadata = metadata
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    for (const t of topics) {
      await this.#broker.createTopic(t.name, {
        ...(t.partitions === undefined ? {} : { partitions: t.partitions }),
        ...(t.configs === undefined ? {} : { configs: t.configs }),
      })
    }
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.#broker.deleteTopic(name)
      this.#metadata.forget(name)
    }
  }

  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    return [...(await this.#broker.listTopics({ includeInternal: options.includeInternal ?? false }))].sort()
  }

  async describeTopics(names: readonly string[]): Promise<TopicInfo[]> {
    const out: TopicInfo[] = []
    for (const name of names) {
      const d = await this.#broker.describeTopic(name)
      out.push({
        name: d.name,
        internal: d.internal,
        partitions: d.partitions.map((p) => ({ partition: p.partition, logStartOffset: p.logStartOffset, logEndOffset: p.highWatermark })),
        configs: { ...d.configs },
      })
    }
    return out
  }

  async createPartitions(topic: string, totalCount: number): Promise<void> {
    await this.#broker.createPartitions(topic, totalCount)
    this.#metadata.forget(topic)
  }

  async alterTopicConfigs(topic: string, configs: Record<string, string | null>): Promise<void> {
    await this.#broker.alterTopicConfigs(topic, configs)
  }

  async listOffsets(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]> {
    const count = await this.#metadata.partitionCount(topic, true)
    const out: PartitionOffset[] = []
    for (let partition = 0; partition < count; partition++) {
      const r = await this.#broker.listOffsets(topic, partition, spec)
      out.push({ partition, offset: r.offset, timestamp: r.timestamp })
    }
    return out
  }

  async listGroups(): Promise<GroupListing[]> {
    return (await this.#broker.groups.listGroups()).map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType }))
  }

  async describeGroup(groupId: string): Promise<GroupInfo> {
    const d = await this.#broker.groups.describeGroup(groupId)
    return {
      groupId: d.groupId,
      state: d.state,
      protocolType: d.protocolType,
      protocol: d.protocolName,
      members: d.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: d.protocolType === 'consumer' && m.assignment.length > 0 ? decodeAssignment(m.assignment).partitions : [],
      })),
    }
  }

  async fetchGroupOffsets(groupId: string, topics?: readonly string[]): Promise<TopicPartitionOffset[]> {
    const wanted = topics === undefined ? undefined : new Set(topics)
    return (await this.#broker.groups.fetchOffsets(groupId))
      .filter((c) => c.offset >= 0 && (wanted === undefined || wanted.has(c.topic)))
      .map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset, metadata: c.metadata }))
  }

  /**
   * The broker's lag for the topics the group committed to, plus the partitions of topics its members
   * are assigned but have not committed on yet, so a new group shows its whole backlog.
   */
  async groupLag(groupId: string): Promise<GroupOffsetLag[]> {
    const out: GroupOffsetLag[] = [...(await this.#broker.groups.groupLag(groupId))]
    const covered = new Set(out.map((l) => l.topic))
    const group = await this.#describeIfExists(groupId)
    const assigned = new Set((group?.members ?? []).flatMap((m) => m.assignment.map((tp) => tp.topic)))
    for (const topic of [...assigned].sort()) {
      if (covered.has(topic) || !(await this.#broker.hasTopic(topic))) continue
      for (const p of (await this.#broker.describeTopic(topic)).partitions) {
        out.push({ topic, partition: p.partition, committedOffset: -1, logEndOffset: p.highWatermark, lag: Math.max(0, p.highWatermark - p.logStartOffset), metadata: null })
      }
    }
    return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
  }

  async resetGroupOffsets(groupId: string, topic: string, target: ResetTarget, partitions?: readonly number[]): Promise<TopicPartitionOffset[]> {
    const group = await this.#describeIfExists(groupId)
    if (group !== undefined && group.members.length > 0) {
      throw new TributaryError(ErrorCode.GROUP_NOT_EMPTY, `group "${groupId}" has ${group.members.length} active member(s); stop them before resetting offsets`)
    }
    const count = await this.#metadata.partitionCount(topic, true)
    const chosen = partitions ?? Array.from({ length: count }, (_, i) => i)
    for (const p of chosen) if (!Number.isInteger(p) || p < 0 || p >= count) throw unknownPartition(topic, p)
    const offsets: TopicPartitionOffset[] = []
    for (const partition of chosen) offsets.push({ topic, partition, offset: await this.#resetOffset({ topic, partition }, target), metadata: null })
    await this.#broker.groups.commitOffsets({ groupId, generationId: -1, memberId: '', offsets })
    return offsets
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    for (const id of groupIds) await this.#broker.groups.deleteGroup(id)
  }

  async close(): Promise<void> {}

  async #resetOffset(tp: TopicPartition, target: ResetTarget): Promise<number> {
    const earliest = (await this.#broker.listOffsets(tp.topic, tp.partition, 'earliest')).offset
    const latest = (await this.#broker.listOffsets(tp.topic, tp.partition, 'latest')).offset
    if (target === 'earliest') return earliest
    if (target === 'latest') return latest
    // Out-of-range offsets are clamped into the log, as Kafka's reset tool does.
    if ('offset' in target) return Math.min(Math.max(target.offset, earliest), latest)
    const found = (await this.#broker.listOffsets(tp.topic, tp.partition, { timestamp: target.timestamp })).offset
    return found < 0 ? latest : found
  }

  async #describeIfExists(groupId: string): Promise<GroupInfo | undefined> {
    try {
      const g = await this.describeGroup(groupId)
      return g.state === 'Dead' ? undefined : g
    } catch (err) {
      if (isTributaryError(err, ErrorCode.UNKNOWN_GROUP)) return undefined
      throw err
    }
  }
}
