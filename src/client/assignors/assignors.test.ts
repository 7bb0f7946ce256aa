import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { type TopicPartition } from '../types.ts'
import { type Assignor, type AssignorMember } from './assignor.ts'
import { cooperativeStickyAssignor } from './cooperative-sticky.ts'
import { rangeAssignor } from './range.ts'
import { assignorByName } from './registry.ts'
import { roundRobinAssignor } from './roundrobin.ts'

function member(memberId: string, topics: string[], owned: TopicPartition[] = [], generationId = -1): AssignorMember {
  return { memberId, groupInstanceId: null, topics, ownedPartitions: owned, generationId }
}

function tps(spec: string): TopicPartition[] {
  // "t0:0,t0:1" -> topic partitions
  if (spec === '') return []
  return spec.split(',').map((s) => {
    const [topic, p] = s.split(':')
    return { topic: topic as string, partition: Number(p) }
  })
}

function show(assignment: Map<string, TopicPartition[]>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [m, list] of assignment) out[m] = list.map((tp) => `${tp.topic}:${tp.partition}`).join(',')
  return out
}

/** Checks every partition of a subscribed topic goes to exactly one subscriber. */
function assertComplete(members: readonly AssignorMember[], counts: Map<string, number>, assignment: Map<string, TopicPartition[]>): void {
  const seen = new Set<string>()
  for (const m of members) {
    for (const tp of assignment.get(m.memberId) ?? assert.fail(`no entry for ${m.memberId}`)) {
      assert.ok(m.topics.includes(tp.topic), `${m.memberId} got ${tp.topic} without subscribing`)
      const k = `${tp.topic}:${tp.partition}`
      assert.ok(!seen.has(k), `${k} assigned twice`)
      seen.add(k)
    }
  }
  for (const [topic, count] of counts) {
    if (!members.some((m) => m.topics.includes(topic))) continue
    for (let p = 0; p < count; p++) assert.ok(seen.has(`${topic}:${p}`), `${topic}:${p} unassigned`)
  }
}

const counts33 = new Map([
  ['t0', 3],
  ['t1', 3],
])

describe('range assignor', () => {
  it('gives each member a contiguous range per topic, extras to the first members (Kafka example)', () => {
    const out = rangeAssignor.assign([member('c1', ['t0', 't1']), member('c0', ['t0', 't1'])], counts33)
    assert.deepEqual(show(out), { c1: 't0:2,t1:2', c0: 't0:0,t0:1,t1:0,t1:1' })
  })

  it('assigns only subscribers and skips unknown topics', () => {
    const out = rangeAssignor.assign([member('a', ['t0', 'nope']), member('b', ['t1'])], counts33)
    assert.deepEqual(show(out), { a: 't0:0,t0:1,t0:2', b: 't1:0,t1:1,t1:2' })
  })
})

describe('roundrobin assignor', () => {
  it('deals sorted partitions to sorted members in turn (Kafka example)', () => {
    const out = roundRobinAssignor.assign([member('c0', ['t0', 't1']), member('c1', ['t0', 't1'])], counts33)
    assert.deepEqual(show(out), { c0: 't0:0,t0:2,t1:1', c1: 't0:1,t1:0,t1:2' })
  })

  it('skips members not subscribed to a topic (Kafka example with unequal subscriptions)', () => {
    const counts = new Map([
      ['t0', 1],
      ['t1', 2],
      ['t2', 3],
    ])
    const out = roundRobinAssignor.assign([member('c0', ['t0']), member('c1', ['t0', 't1']), member('c2', ['t0', 't1', 't2'])], counts)
    assert.deepEqual(show(out), { c0: 't0:0', c1: 't1:0', c2: 't1:1,t2:0,t2:1,t2:2' })
  })
})

describe('cooperative-sticky assignor', () => {
  it('keeps owned partitions and withholds the ones that move until they are revoked', () => {
    const counts = new Map([['t', 4]])
    const first = cooperativeStickyAssignor.assign([member('a', ['t'])], counts)
    assert.deepEqual(show(first), { a: 't:0,t:1,t:2,t:3' })
    // b joins: a keeps two, the two that move are withheld this round.
    const second = cooperativeStickyAssignor.assign([member('a', ['t'], tps('t:0,t:1,t:2,t:3'), 1), member('b', ['t'])], counts)
    assert.equal(second.get('a')?.length, 2)
    assert.deepEqual(second.get('b'), [])
    // a revoked the others and rejoins: b now gets them.
    const third = cooperativeStickyAssignor.assign([member('a', ['t'], second.get('a'), 2), member('b', ['t'], [], 2)], counts)
    assert.deepEqual(third.get('a'), second.get('a'))
    assert.equal(third.get('b')?.length, 2)
    assertComplete([member('a', ['t']), member('b', ['t'])], counts, third)
  })

  it('lets the newest generation win a conflicting claim', () => {
    const counts = new Map([['t', 2]])
    const out = cooperativeStickyAssignor.assign([member('a', ['t'], tps('t:0'), 3), member('b', ['t'], tps('t:0'), 5)], counts)
    assert.deepEqual(show(out), { a: 't:1', b: 't:0' })
  })
})

describe('assignor registry', () => {
  it('finds the built-in assignors by protocol name only', () => {
    assert.equal(assignorByName('range'), rangeAssignor)
    assert.equal(assignorByName('roundrobin'), roundRobinAssignor)
    assert.equal(assignorByName('cooperative-sticky'), cooperativeStickyAssignor)
    assert.equal(assignorByName('toString'), undefined)
  })
})

// ---- properties over random groups ----

const groupArb = fc
  .record({
    counts: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 4 }),
    subs: fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
  })
  .map(({ counts, subs }) => {
    const topicCounts = new Map(counts.map((c, i) => [`t${i}`, c]))
    const members = subs.map((flags, i) => {
      const topics = [...topicCounts.keys()].filter((_, t) => flags[t] === true)
      return member(`m${i}`, topics.length > 0 ? topics : ['t0'])
    })
    return { topicCounts, members }
  })

function loads(out: Map<string, TopicPartition[]>): number[] {
  return [...out.values()].map((l) => l.length)
}

for (const assignor of [rangeAssignor, roundRobinAssignor] as Assignor[]) {
  it(`${assignor.name}: assigns every subscribed partition exactly once, to subscribers`, () => {
    fc.assert(
      fc.property(groupArb, ({ topicCounts, members }) => {
        assertComplete(members, topicCounts, assignor.assign(members, topicCounts))
      }),
    )
  })
}

it('roundrobin: balanced within one partition when all members subscribe to the same topics', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 }), (n, counts) => {
      const topicCounts = new Map(counts.map((c, i) => [`t${i}`, c]))
      const members = Array.from({ length: n }, (_, i) => member(`m${i}`, [...topicCounts.keys()]))
      const l = loads(roundRobinAssignor.assign(members, topicCounts))
      assert.ok(Math.max(...l) - Math.min(...l) <= 1, `unbalanced loads ${l.join(',')}`)
    }),
  )
})

it('cooperative-sticky: never hands a partition straight from one member to another, and converges to a full assignment', () => {
  fc.assert(
    fc.property(groupArb, fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 30 }), ({ topicCounts, members }, ownerPicks) => {
      // Random previous ownership (only of subscribed partitions, as a real member would own).
      const all: TopicPartition[] = []
      for (const [topic, c] of topicCounts) for (let p = 0; p < c; p++) all.push({ topic, partition: p })
      let owned = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]))
      all.forEach((tp, i) => {
        const pick = ownerPicks[i]
        const m = pick === undefined ? undefined : members[pick % members.length]
        if (m !== undefined && m.topics.includes(tp.topic)) owned.get(m.memberId)?.push(tp)
      })
      const sameSubs = members.every((m) => m.topics.join() === members[0]?.topics.join())
      // Members revoke what they lost and rejoin owning what they were given, until nothing is withheld.
      for (let round = 1; ; round++) {
        const roundMembers = members.map((m) => ({ ...m, ownedPartitions: owned.get(m.memberId) ?? [], generationId: round }))
        const out = cooperativeStickyAssignor.assign(roundMembers, topicCounts)
        const ownerOf = new Map<string, string>()
        for (const [m, list] of owned) for (const tp of list) ownerOf.set(`${tp.topic}:${tp.partition}`, m)
        for (const [m, list] of out) {
          for (const tp of list) {
            const prev = ownerOf.get(`${tp.topic}:${tp.partition}`)
            assert.ok(prev === undefined || prev === m, `${tp.topic}:${tp.partition} moved from ${prev} to ${m} in one round`)
          }
        }
        // With equal subscriptions a balanced holding is kept from the second round on.
        if (sameSubs && round >= 2) {
          for (const [m, list] of owned) {
            const now = new Set((out.get(m) ?? []).map((tp) => `${tp.topic}:${tp.partition}`))
            for (const tp of list) assert.ok(now.has(`${tp.topic}:${tp.partition}`), `${m} lost ${tp.topic}:${tp.partition} in round ${round}`)
          }
        }
        const total = [...out.values()].reduce((n, l) => n + l.length, 0)
        const wanted = all.filter((tp) => members.some((m) => m.topics.includes(tp.topic))).length
        if (total === wanted) {
          assertComplete(members, topicCounts, out)
          if (sameSubs) {
            const l = loads(out)
            assert.ok(Math.max(...l) - Math.min(...l) <= 1, `unbalanced loads ${l.join(',')}`)
          }
          break
        }
        assert.ok(round < 4, `still incomplete after ${round} rounds`)
        owned = out
      }
    }),
  )
})
