/**
 * @module OffsetFetch (key 9) v0-8 (v8: several groups at once). With require_stable (v7+) a
 * partition whose offset a transaction holds uncommitted answers UNSTABLE_OFFSET_COMMIT.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import {
  type OffsetFetchRequestV8,
  type OffsetFetchResponseGroupV8,
  type OffsetFetchResponsePartitionsV8,
  type OffsetFetchResponseV8,
} from '../../../protocol/messages/generated/offset-fetch/v8.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { big, errorCodeOf, isShutdown } from '../wire.ts'

interface FetchGroup {
  groupId: string
  topics: { name: string; partitionIndexes: number[] }[] | null
}

function fetchGroup(ctx: RequestContext, g: FetchGroup, requireStable: boolean): OffsetFetchResponseGroupV8 {
  const { broker, transactions } = ctx.server
  try {
    const wanted = g.topics === null ? undefined : g.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })))
    const committed = broker.groups.fetchOffsets(g.groupId, wanted)
    const byTopic = new Map<string, OffsetFetchResponsePartitionsV8[]>()
    for (const t of g.topics ?? []) byTopic.set(t.name, [])
    for (const c of committed) {
      let list = byTopic.get(c.topic)
      if (list === undefined) byTopic.set(c.topic, (list = []))
      const unstable = requireStable && transactions.hasPendingOffsets(g.groupId, c.topic, c.partition)
      list.push({
        partitionIndex: c.partition,
        committedOffset: big(unstable ? -1 : c.offset),
        committedLeaderEpoch: -1,
        metadata: c.metadata ?? '',
        errorCode: unstable ? KafkaError.UNSTABLE_OFFSET_COMMIT : KafkaError.NONE,
      })
    }
    return { groupId: g.groupId, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })), errorCode: KafkaError.NONE }
  } catch (e) {
    return { groupId: g.groupId, topics: [], errorCode: isShutdown(e) ? KafkaError.COORDINATOR_NOT_AVAILABLE : errorCodeOf(e) }
  }
}

export function handleOffsetFetch(ctx: RequestContext, body: unknown): OffsetFetchResponseV8 & { topics: unknown[]; errorCode: number } {
  const req = body as Loose<OffsetFetchRequestV8> & { groupId?: string; topics?: { name?: string; partitionIndexes?: number[] }[] | null }
  const normalize = (groupId: string | undefined, topics: { name?: string; partitionIndexes?: number[] }[] | null | undefined): FetchGroup => ({
    groupId: groupId ?? '',
    topics: topics === null || topics === undefined ? null : topics.map((t) => ({ name: t.name ?? '', partitionIndexes: t.partitionIndexes ?? [] })),
  })
  const requireStable = req.requireStable ?? false
  if (ctx.apiVersion >= 8) {
    const groups = (req.groups ?? []).map((g) => fetchGroup(ctx, normalize(g.groupId, g.topics), requireStable))
    return { throttleTimeMs: 0, groups, topics: [], errorCode: KafkaError.NONE }
  }
  // v0-1 have no "all topics" null; an empty list means none.
  const one = fetchGroup(ctx, normalize(req.groupId, req.topics ?? (ctx.apiVersion < 2 ? [] : null)), requireStable)
  return { throttleTimeMs: 0, groups: [], topics: one.topics, errorCode: one.errorCode }
}
