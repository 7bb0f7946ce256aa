/**
 * @module A sticky, balanced assignor for the cooperative protocol (Kafka's CooperativeStickyAssignor
 * in spirit): members keep the partitions they own while the assignment stays balanced; a partition
 * that must move is first left unassigned, so its owner revokes it and rejoins, and only the next
 * rebalance hands it to its new member. Members therefore never stop reading partitions they keep.
 */
import { type TopicPartition } from '../types.ts'
import { type Assignor, type AssignorMember, compareMembers, compareTopicPartitions, emptyAssignment } from './assignor.ts'

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

interface Slot {
  member: AssignorMember
  topics: Set<string>
  partitions: TopicPartition[]
}

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  cooperative: true,
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
    const sorted = [...members].sort(compareMembers)
    const slots: Slot[] = sorted.map((member) => ({ member, topics: new Set(member.topics), partitions: [] }))
    const all: TopicPartition[] = []
    for (const topic of [...new Set(members.flatMap((m) => m.topics))].sort()) {
      const count = partitionCounts.get(topic) ?? 0
      for (let p = 0; p < count; p++) all.push({ topic, partition: p })
    }
    if (slots.length === 0) return new Map()

    // 1. Previous owners keep their partitions (newest generation wins a conflicting claim); the
    //    balancing below moves only what it must.
    const previousOwner = new Map<string, string>()
    const byGeneration = [...slots].sort((a, b) => b.member.generationId - a.member.generationId)
    for (const slot of byGeneration) {
      for (const tp of slot.member.ownedPartitions) {
        const k = key(tp.topic, tp.partition)
        const count = partitionCounts.get(tp.topic) ?? 0
        if (!slot.topics.has(tp.topic) || tp.partition < 0 || tp.partition >= count || previousOwner.has(k)) continue
        previousOwner.set(k, slot.member.memberId)
        slot.partitions.push({ topic: tp.topic, partition: tp.partition })
      }
    }
    const assigned = new Set<string>()
    for (const slot of slots) for (const tp of slot.partitions) assigned.add(key(tp.topic, tp.partition))

    // 2. Everything else goes to the least loaded subscriber.
    for (const tp of all) {
      if (assigned.has(key(tp.topic, tp.partition))) continue
      let best: Slot | undefined
      for (const slot of slots) {
        if (slot.topics.has(tp.topic) && (best === undefined || slot.partitions.length < best.partitions.length)) best = slot
      }
      best?.partitions.push(tp)
    }

    // 3. Balance: move single partitions from the most to the least loaded member that can take them.
    //    Each move lowers the sum of squared loads, so this ends.
    for (;;) {
      const byLoad = [...slots].sort((a, b) => b.partitions.length - a.partitions.length)
      let moved = false
      for (const donor of byLoad) {
        for (let r = byLoad.length - 1; r >= 0 && !moved; r--) {
          const receiver = byLoad[r] as Slot
          if (receiver.partitions.length + 2 > donor.partitions.length) break
          // Prefer giving away a partition the donor did not own before.
          let pick = -1
          for (let i = donor.partitions.length - 1; i >= 0; i--) {
            const tp = donor.partitions[i] as TopicPartition
            if (!receiver.topics.has(tp.topic)) continue
            if (pick < 0) pick = i
            if (previousOwner.get(key(tp.topic, tp.partition)) !== donor.member.memberId) {
              pick = i
              break
            }
          }
          if (pick >= 0) {
            receiver.partitions.push(...donor.partitions.splice(pick, 1))
            moved = true
          }
        }
        if (moved) break
      }
      if (!moved) break
    }

    // 4. Cooperative step: a partition changing hands is withheld until its owner has revoked it.
    const out = emptyAssignment(members)
    for (const slot of slots) {
      const kept = slot.partitions.filter((tp) => {
        const owner = previousOwner.get(key(tp.topic, tp.partition))
        return owner === undefined || owner === slot.member.memberId
      })
      out.set(slot.member.memberId, kept.sort(compareTopicPartitions))
    }
    return out
  },
}
