/**
 * @module Kafka's RoundRobinAssignor: all partitions of all subscribed topics, sorted by topic then
 * partition, dealt one by one to the sorted members in a circle, skipping members that do not
 * subscribe to the partition's topic.
 */
import { type TopicPartition } from '../types.ts'
import { type Assignor, type AssignorMember, compareMembers, emptyAssignment } from './assignor.ts'

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  cooperative: false,
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
    const out = emptyAssignment(members)
    const sorted = [...members].sort(compareMembers)
    if (sorted.length === 0) return out
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort()
    let next = 0
    for (const topic of topics) {
      const count = partitionCounts.get(topic) ?? 0
      for (let partition = 0; partition < count; partition++) {
        // At least one member subscribes to `topic`, so this finds one within a full circle.
        for (let tries = 0; tries < sorted.length; tries++) {
          const member = sorted[next % sorted.length] as AssignorMember
          next = (next + 1) % sorted.length
          if (member.topics.includes(topic)) {
            ;(out.get(member.memberId) as TopicPartition[]).push({ topic, partition })
            break
          }
        }
      }
    }
    return out
  },
}
