/**
 * @module The Kafka admin: topic, config, offset and group requests sent with @platformatic/kafka's
 * per-version API functions (each response's per-item error codes checked and mapped). Group lag
 * and offset resets are computed here, as the embedded admin does, from committed and end offsets.
 */
import { Base } from '@platformatic/kafka'
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
  type TopicPartitionOffset,
} from '../types.ts'
import { fromKafka, kafkaError } from './errors.ts'
import { commitOffsets, fetchCommitted, listOffsets } from './offsets.ts'
import { type KafkaClientOptions, libraryOptions } from './options.ts'
import { Wire, errorName, unknownPartition } from './wire.ts'

const TIMEOUT_MS = 30_000
const TOPIC_RESOURCE = 2
/** DescribeConfigs sources: 5 = static broker default, 4/3 = broker-wide, 1 = set on the topic. */
const TOPIC_CONFIG_SOURCE = 1

interface ItemError {
  errorCode: number
  errorMessage?: string | null
}

interface DescribeGroupsResponse {
  groups: {
    errorCode: number
    groupId: string
    groupState: string
    protocolType: string
    protocolData: string
    members: { memberId: string; clientId: string; clientHost: string; memberAssignment: Buffer | null }[]
  }[]
}

interface DescribeConfigsResponse {
  results: (ItemError & { resourceName: string; configs: { name: string; value: string | null; configSource: number }[] })[]
}

/** Throws the mapped error of the first failed item. */
function check(items: readonly ItemError[], what: (i: number) => string, unknown?: ErrorCode): void {
  items.forEach((item, i) => {
    if (item.errorCode === 0) return
    const e = kafkaError(errorName(item.errorCode), what(i) + (item.errorMessage ? ` (${item.errorMessage})` : ''))
    throw unknown !== undefined && e.code === ErrorCode.UNKNOWN_TOPIC ? new TributaryError(unknown, e.message, { details: e.details }) : e
  })
}

export class KafkaAdmin implements Admin {
  readonly #wire: Wire
  readonly #onClose: (a: KafkaAdmin) => void

  constructor(connection: KafkaClientOptions, onClose: (a: KafkaAdmin) => void) {
    this.#wire = new Wire(new Base(libraryOptions(connection, 'admin')))
    this.#onClose = onClose
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    const request = topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions ?? -1,
      replicationFactor: -1,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    }))
    const response = await this.#send<{ topics: (ItemError & { name: string })[] }>('CreateTopics', 'creating topics', await this.#wire.controller(), request, TIMEOUT_MS, false)
    check(response.topics, (i) => `creating topic "${response.topics[i]?.name}"`)
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    const response = await this.#send<{ responses: (ItemError & { name: string | null })[] }>(
      'DeleteTopics',
      'deleting topics',
      await this.#wire.controller(),
      names.map((name) => ({ name, topicId: null })),
      TIMEOUT_MS,
    )
    for (const name of names) this.#wire.forget(name)
    check(response.responses, (i) => `deleting topic "${response.responses[i]?.name}"`)
  }

  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    const all = await this.#wire.refresh(null)
    return [...all.values()]
      .filter((t) => t !== undefined && (options.includeInternal === true || !(t.internal || t.name.startsWith('__'))))
      .map((t) => (t as { name: string }).name)
      .sort()
  }

  async describeTopics(names: readonly string[]): Promise<TopicInfo[]> {
    if (names.length === 0) return []
    const layouts = await this.#wire.refresh(names)
    const configs = await this.#configs(names)
    const out: TopicInfo[] = []
    for (const name of names) {
      const layout = layouts.get(name)
      if (layout === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `unknown topic "${name}"`)
      const indexes = layout.leaders.map((_, i) => i)
      const earliest = await listOffsets(this.#wire, name, indexes, 'earliest')
      const latest = await listOffsets(this.#wire, name, indexes, 'latest')
      out.push({
        name,
        internal: layout.internal,
        partitions: indexes.map((partition) => ({ partition, logStartOffset: earliest.get(partition)?.offset ?? 0, logEndOffset: latest.get(partition)?.offset ?? 0 })),
        configs: Object.fromEntries((configs.get(name) ?? []).map((c) => [c.name, c.value])),
      })
    }
    return out
  }

  async createPartitions(topic: string, totalCount: number): Promise<void> {
    const response = await this.#send<{ results: (ItemError & { name: string })[] }>(
      'CreatePartitions',
      `adding partitions to "${topic}"`,
      await this.#wire.controller(),
      [{ name: topic, count: totalCount, assignments: null }],
      TIMEOUT_MS,
      false,
    )
    this.#wire.forget(topic)
    check(response.results, () => `adding partitions to "${topic}"`)
  }

  async alterTopicConfigs(topic: string, configs: Record<string, string | null>): Promise<void> {
    const connection = await this.#wire.controller()
    if (await this.#wire.supports('IncrementalAlterConfigs')) {
      const entries = Object.entries(configs).map(([name, value]) => (value === null ? { name, configOperation: 1 } : { name, configOperation: 0, value }))
      const response = await this.#send<{ responses: ItemError[] }>(
        'IncrementalAlterConfigs',
        `altering configs of "${topic}"`,
        connection,
        [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: entries }],
        false,
      )
      check(response.responses, () => `altering configs of "${topic}"`)
      return
    }
    // AlterConfigs replaces every topic-level setting in Kafka: start from the ones set now. Removed
    // ones are also named with a null value, which Kafka ignores and merging brokers read as "remove".
    const current = (await this.#configs([topic], true)).get(topic) ?? []
    const next = new Map<string, string | null>(current.map((c) => [c.name, c.value]))
    for (const [name, value] of Object.entries(configs)) next.set(name, value)
    const response = await this.#send<{ responses: ItemError[] }>(
      'AlterConfigs',
      `altering configs of "${topic}"`,
      connection,
      [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: [...next].map(([name, value]) => ({ name, value })) }],
      false,
    )
    check(response.responses, () => `altering configs of "${topic}"`)
  }

  async listOffsets(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]> {
    const layout = await this.#wire.layout(topic, true)
    const found = await listOffsets(this.#wire, topic, layout.leaders.map((_, i) => i), spec)
    return [...found].sort(([a], [b]) => a - b).map(([partition, o]) => ({ partition, offset: o.offset, timestamp: o.timestamp }))
  }

  async listGroups(): Promise<GroupListing[]> {
    const response = await this.#send<ItemError & { groups: { groupId: string; protocolType: string; groupState: string }[] }>(
      'ListGroups',
      'listing groups',
      await this.#wire.bootstrap(),
      [],
      [],
    )
    check([response], () => 'listing groups')
    return response.groups.map((g) => ({ groupId: g.groupId, state: g.groupState, protocolType: g.protocolType })).sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
  }

  async describeGroup(groupId: string): Promise<GroupInfo> {
    const response = await this.#send<DescribeGroupsResponse>('DescribeGroups', `describing group "${groupId}"`, await this.#wire.coordinator(groupId), [groupId], false)
    const g = response.groups[0]
    if (g === undefined) throw new TributaryError(ErrorCode.PROTOCOL_ERROR, `no description of group "${groupId}" in the response`)
    check([g], () => `describing group "${groupId}"`)
    return {
      groupId: g.groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: g.protocolType === 'consumer' && m.memberAssignment !== null && m.memberAssignment.length > 0 ? decodeAssignment(m.memberAssignment).partitions : [],
      })),
    }
  }

  async fetchGroupOffsets(groupId: string, topics?: readonly string[]): Promise<TopicPartitionOffset[]> {
    const wanted = topics === undefined ? undefined : new Set(topics)
    return sortOffsets((await fetchCommitted(this.#wire, groupId, null)).filter((c) => wanted === undefined || wanted.has(c.topic)))
  }

  /**
   * Every partition of the topics the group committed to, plus those of topics its members are
   * assigned but have not committed on yet, so a new group shows its whole backlog.
   */
  async groupLag(groupId: string): Promise<GroupOffsetLag[]> {
    const committed = await fetchCommitted(this.#wire, groupId, null)
    const group = await this.#describeIfExists(groupId)
    const topics = new Set([...committed.map((c) => c.topic), ...(group?.members ?? []).flatMap((m) => m.assignment.map((tp) => tp.topic))])
    const byKey = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c]))
    const out: GroupOffsetLag[] = []
    const layouts = topics.size === 0 ? new Map() : await this.#wire.refresh([...topics])
    for (const topic of [...topics].sort()) {
      const layout = layouts.get(topic)
      if (layout === undefined) continue
      const indexes = (layout.leaders as number[]).map((_, i) => i)
      const start = await listOffsets(this.#wire, topic, indexes, 'earliest')
      const end = await listOffsets(this.#wire, topic, indexes, 'latest')
      for (const partition of indexes) {
        const c = byKey.get(`${topic}\u0000${partition}`)
        const logEndOffset = end.get(partition)?.offset ?? 0
        const committedOffset = c?.offset ?? -1
        const from = committedOffset >= 0 ? committedOffset : (start.get(partition)?.offset ?? 0)
        out.push({ topic, partition, committedOffset, logEndOffset, lag: Math.max(0, logEndOffset - from), metadata: c?.metadata ?? null })
      }
    }
    return out
  }

  async resetGroupOffsets(groupId: string, topic: string, target: ResetTarget, partitions?: readonly number[]): Promise<TopicPartitionOffset[]> {
    const group = await this.#describeIfExists(groupId)
    if (group !== undefined && group.members.length > 0) {
      throw new TributaryError(ErrorCode.GROUP_NOT_EMPTY, `group "${groupId}" has ${group.members.length} active member(s); stop them before resetting offsets`)
    }
    const count = (await this.#wire.layout(topic, true)).leaders.length
    const chosen = partitions ?? Array.from({ length: count }, (_, i) => i)
    for (const p of chosen) if (!Number.isInteger(p) || p < 0 || p >= count) throw unknownPartition(topic, p)
    const earliest = await listOffsets(this.#wire, topic, chosen, 'earliest')
    const latest = await listOffsets(this.#wire, topic, chosen, 'latest')
    const byTime = typeof target === 'object' && 'timestamp' in target ? await listOffsets(this.#wire, topic, chosen, target) : undefined
    const offsets: TopicPartitionOffset[] = chosen.map((partition) => {
      const low = earliest.get(partition)?.offset ?? 0
      const high = latest.get(partition)?.offset ?? 0
      let offset: number
      if (target === 'earliest') offset = low
      else if (target === 'latest') offset = high
      // Out-of-range offsets are clamped into the log, as Kafka's reset tool does.
      else if ('offset' in target) offset = Math.min(Math.max(target.offset, low), high)
      else {
        const found = byTime?.get(partition)?.offset ?? -1
        offset = found < 0 ? high : found
      }
      return { topic, partition, offset, metadata: null }
    })
    await commitOffsets(this.#wire, groupId, -1, '', offsets)
    return offsets
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    for (const groupId of groupIds) {
      const response = await this.#send<{ results: (ItemError & { groupId: string })[] }>('DeleteGroups', `deleting group "${groupId}"`, await this.#wire.coordinator(groupId), [groupId])
      check(response.results, () => `deleting group "${groupId}"`)
    }
  }

  async close(): Promise<void> {
    this.#onClose(this)
    await this.#wire.close()
  }

  /** Topic configs by topic: every config, or with `overridesOnly` just those set on the topic. */
  async #configs(names: readonly string[], overridesOnly = false): Promise<Map<string, { name: string; value: string }[]>> {
    const response = await this.#send<DescribeConfigsResponse>(
      'DescribeConfigs',
      'describing topic configs',
      await this.#wire.controller(),
      names.map((resourceName) => ({ resourceType: TOPIC_RESOURCE, resourceName, configurationKeys: null })),
      false,
      false,
    )
    check(response.results, (i) => `describing configs of "${response.results[i]?.resourceName}"`)
    const out = new Map<string, { name: string; value: string }[]>()
    for (const r of response.results) {
      const configs = r.configs.filter((c) => c.value !== null && (!overridesOnly || c.configSource === TOPIC_CONFIG_SOURCE))
      out.set(r.resourceName, configs.map((c) => ({ name: c.name, value: c.value as string })))
    }
    return out
  }

  /** One request whose per-item errors the caller checks; other failures are mapped here. */
  async #send<T>(api: string, what: string, connection: Awaited<ReturnType<Wire['bootstrap']>>, ...args: unknown[]): Promise<T> {
    try {
      return await this.#wire.requestPartial<T>(api, connection, ...args)
    } catch (err) {
      throw fromKafka(err, what)
    }
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

function sortOffsets(offsets: TopicPartitionOffset[]): TopicPartitionOffset[] {
  return offsets.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
}
