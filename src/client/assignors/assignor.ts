/**
 * @module The client-side partition assignor contract, as Kafka's ConsumerPartitionAssignor: the
 * group leader runs the assignor the group agreed on over every member's subscription.
 */
import { type AssignorName, type TopicPartition } from '../types.ts'

export interface AssignorMember {
  memberId: string
  /** Static membership id; sorts before the member id when present, as in Kafka. */
  groupInstanceId: string | null
  topics: readonly string[]
  /** Partitions the member owned in the previous generation (sticky assignors keep them). */
  ownedPartitions: readonly TopicPartition[]
  /** Generation the owned partitions belong to (-1 when unknown); resolves conflicting claims. */
  generationId: number
}

export interface Assignor {
  readonly name: AssignorName
  /** True when the assignor follows the cooperative protocol (never moves a partition in one step). */
  readonly cooperative: boolean
  /**
   * Assigns the partitions of `partitionCounts` (topic -> partition count; topics missing from it
   * do not exist) to the members. Every member gets an entry, possibly empty.
   */
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartition[]>
}

/** Kafka's member order: by group instance id when present, then by member id. */
export function compareMembers(a: AssignorMember, b: AssignorMember): number {
  const ka = a.groupInstanceId ?? a.memberId
  const kb = b.groupInstanceId ?? b.memberId
  if (ka !== kb) return ka < kb ? -1 : 1
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0
}

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1
  return a.partition - b.partition
}

export function emptyAssignment(members: readonly AssignorMember[]): Map<string, TopicPartition[]> {
  const out = new Map<string, TopicPartition[]>()
  for (const m of members) out.set(m.memberId, [])
  return out
}
