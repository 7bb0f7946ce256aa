/**
 * @module Kafka's RangeAssignor: per topic, the sorted subscribers each take a contiguous range of
 * partitions; the first (partitions % subscribers) members take one extra. Co-partitioned topics
 * therefore line up: partition p of every topic goes to the same member.
 */
import { type TopicPartition } from '../types.ts'
import { type Assignor, type AssignorMember, compareMembers, emptyAssignment } from './assignor.ts'

export const rangeAssignor: Assignor = {
  name: 'range',
  cooperative: false,
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
    const out = emptyAssignment(members)
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort()
    for (const topic of topics) {
      const count = partitionCounts.get(topic)
      if (count === undefined || count <= 0) continue
      const subscribers = members.filter((m) => m.topics.includes(topic)).sort(compareMembers)
      const perMember = Math.floor(count / subscribers.length)
      const extra = count % subscribers.length
      for (let i = 0; i < subscribers.length; i++) {
        const start = perMember * i + Math.min(i, extra)
        const length = perMember + (i < extra ? 1 : 0)
        const list = out.get((subscribers[i] as AssignorMember).memberId) as TopicPartition[]
        for (let p = start; p < start + length; p++) list.push({ topic, partition: p })
      }
    }
    return out
  },
}
