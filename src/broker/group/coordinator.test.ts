import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ManualClock } from '../../util/clock.ts'
import { type ErrorCode, isTributaryError } from '../../util/errors.ts'
import { encodeRecordBatch } from '../../protocol/records/record-batch.ts'
import { encodeSubscription } from '../../protocol/consumer-protocol.ts'
import { toPrometheusText } from '../../metrics/prometheus.ts'
import { Broker } from '../broker.ts'
import { type BrokerConfig, type JoinGroupRequest, type JoinGroupResult } from '../types.ts'

const SESSION = 10_000
const REBALANCE = 20_000

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'tributary-groups-'))
}

async function withBroker(
  fn: (b: Broker, clock: ManualClock, dir: string) => Promise<void>,
  config: Partial<BrokerConfig> = {},
): Promise<void> {
  const dir = await tempDir()
  const clock = new ManualClock(1_000_000)
  const broker = await Broker.open({ dataDir: dir, ...config }, { clock })
  try {
    await fn(broker, clock, dir)
  } finally {
    await broker.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
}

function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId: '',
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: SESSION,
    rebalanceTimeoutMs: REBALANCE,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    ...overrides,
  }
}

function isCode(code: ErrorCode) {
  return (e: unknown): boolean => isTributaryError(e, code)
}

/** Settles pending promise callbacks and fs completions; lets a test see whether a promise is still parked. */
async function tick(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
}

function track<T>(p: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false
  p.then(
    () => (done = true),
    () => (done = true),
  )
  return { promise: p, settled: () => done }
}

/** One member that joins and syncs alone: returns its join result. */
async function soloMember(b: Broker, groupId = 'g', assignment = Buffer.from('a1')): Promise<JoinGroupResult> {
  const j = await b.groups.joinGroup(joinRequest({ groupId }))
  await b.groups.syncGroup({ groupId, generationId: j.generationId, memberId: j.memberId, assignments: [{ memberId: j.memberId, assignment }] })
  return j
}

/** Two stable members A (leader) and B; returns their ids and the generation. */
async function twoMembers(b: Broker): Promise<{ a: string; b: string; gen: number }> {
  const a1 = await soloMember(b)
  const joinB = b.groups.joinGroup(joinRequest({ clientId: 'cb' }))
  assert.throws(() => b.groups.heartbeat('g', a1.memberId, a1.generationId), isCode('REBALANCE_IN_PROGRESS'))
  const [a2, b2] = await Promise.all([b.groups.joinGroup(joinRequest({ memberId: a1.memberId })), joinB])
  assert.equal(a2.generationId, a1.generationId + 1)
  const syncB = b.groups.syncGroup({ groupId: 'g', generationId: b2.generationId, memberId: b2.memberId, assignments: [] })
  await b.groups.syncGroup({
    groupId: 'g',
    generationId: a2.generationId,
    memberId: a2.memberId,
    assignments: [
      { memberId: a2.memberId, assignment: Buffer.from('A') },
      { memberId: b2.memberId, assignment: Buffer.from('B') },
    ],
  })
  await syncB
  return { a: a2.memberId, b: b2.memberId, gen: a2.generationId }
}

test('a single member joins, leads, syncs its own assignment and the group is Stable', async () => {
  await withBroker(async (b) => {
    const j = await b.groups.joinGroup(joinRequest())
    assert.equal(j.generationId, 1)
    assert.equal(j.leader, j.memberId)
    assert.equal(j.protocolName, 'range')
    assert.deepEqual(j.members, [{ memberId: j.memberId, groupInstanceId: null, metadata: Buffer.from('m') }])
    assert.equal(b.groups.describeGroup('g').state, 'CompletingRebalance')
    const assignment = await b.groups.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: j.memberId,
      assignments: [{ memberId: j.memberId, assignment: Buffer.from('mine') }],
    })
    assert.deepEqual(assignment, Buffer.from('mine'))
    const d = b.groups.describeGroup('g')
    assert.equal(d.state, 'Stable')
    assert.equal(d.members[0]?.assignment.toString(), 'mine')
    b.groups.heartbeat('g', j.memberId, 1)
    assert.deepEqual(b.groups.listGroups(), [{ groupId: 'g', state: 'Stable', protocolType: 'consumer' }])
  })
})

test('MEMBER_ID_REQUIRED hands out a member id that the next join uses', async () => {
  await withBroker(async (b) => {
    let memberId = ''
    await assert.rejects(b.groups.joinGroup(joinRequest({ requireKnownMemberId: true })), (e) => {
      assert.ok(isTributaryError(e, 'MEMBER_ID_REQUIRED'))
      memberId = e.details.memberId as string
      return true
    })
    assert.match(memberId, /^c-/)
    const j = await b.groups.joinGroup(joinRequest({ memberId, requireKnownMemberId: true }))
    assert.equal(j.memberId, memberId)
    assert.equal(j.leader, memberId)
    // An id that was never handed out is unknown.
    await assert.rejects(b.groups.joinGroup(joinRequest({ memberId: 'c-made-up' })), isCode('UNKNOWN_MEMBER_ID'))
  })
})

test('a second member triggers a rebalance: both rejoin, the leader gets both, followers wait for its assignment', async () => {
  await withBroker(async (b) => {
    const a1 = await soloMember(b)
    const joinB = track(b.groups.joinGroup(joinRequest({ clientId: 'cb' })))
    await tick()
    assert.equal(joinB.settled(), false, 'B waits until A rejoins')
    assert.throws(() => b.groups.heartbeat('g', a1.memberId, a1.generationId), isCode('REBALANCE_IN_PROGRESS'))
    const a2 = await b.groups.joinGroup(joinRequest({ memberId: a1.memberId }))
    const b2 = await joinB.promise
    assert.equal(a2.generationId, 2)
    assert.equal(b2.generationId, 2)
    assert.equal(a2.leader, a1.memberId)
    assert.equal(b2.leader, a1.memberId)
    assert.deepEqual(a2.members.map((m) => m.memberId).sort(), [a1.memberId, b2.memberId].sort())
    assert.deepEqual(b2.members, [])
    const syncB = track(b.groups.syncGroup({ groupId: 'g', generationId: 2, memberId: b2.memberId, assignments: [] }))
    await tick()
    assert.equal(syncB.settled(), false, 'a follower waits for the leader')
    const syncA = await b.groups.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: a2.memberId,
      assignments: [
        { memberId: a2.memberId, assignment: Buffer.from('A') },
        { memberId: b2.memberId, assignment: Buffer.from('B') },
      ],
    })
    assert.equal(syncA.toString(), 'A')
    assert.equal((await syncB.promise).toString(), 'B')
  })
})

test('a member leaving makes the others rejoin into a smaller generation', async () => {
  await withBroker(async (b) => {
    const { a, b: bId, gen } = await twoMembers(b)
    b.groups.leaveGroup('g', [bId])
    assert.throws(() => b.groups.heartbeat('g', a, gen), isCode('REBALANCE_IN_PROGRESS'))
    assert.throws(() => b.groups.heartbeat('g', bId, gen), isCode('UNKNOWN_MEMBER_ID'))
    const rejoined = await b.groups.joinGroup(joinRequest({ memberId: a }))
    assert.equal(rejoined.generationId, gen + 1)
    assert.deepEqual(rejoined.members.map((m) => m.memberId), [a])
  })
})

test('a member whose session times out is removed and the group rebalances', async () => {
  await withBroker(async (b, clock) => {
    const { a, b: bId, gen } = await twoMembers(b)
    // A heartbeats every 3 s; B stays silent.
    for (let t = 0; t < SESSION - 3000; t += 3000) {
      clock.advance(3000)
      b.groups.heartbeat('g', a, gen)
    }
    assert.equal(b.groups.describeGroup('g').members.length, 2)
    clock.advance(3000)
    assert.equal(b.groups.describeGroup('g').state, 'PreparingRebalance')
    assert.deepEqual(b.groups.describeGroup('g').members.map((m) => m.memberId), [a])
    assert.throws(() => b.groups.heartbeat('g', a, gen), isCode('REBALANCE_IN_PROGRESS'))
    assert.throws(() => b.groups.heartbeat('g', bId, gen), isCode('UNKNOWN_MEMBER_ID'))
    const j = await b.groups.joinGroup(joinRequest({ memberId: a }))
    assert.equal(j.generationId, gen + 1)
    assert.deepEqual(j.members.map((m) => m.memberId), [a])
  })
})

test('a member that does not rejoin within the rebalance timeout is dropped', async () => {
  await withBroker(async (b, clock) => {
    const { a, b: slow, gen } = await twoMembers(b)
    const joinC = b.groups.joinGroup(joinRequest({ clientId: 'cc' }))
    const joinA = track(b.groups.joinGroup(joinRequest({ memberId: a })))
    // The slow member keeps its session alive but never rejoins.
    for (let t = 0; t < REBALANCE - 3000; t += 3000) {
      clock.advance(3000)
      assert.throws(() => b.groups.heartbeat('g', slow, gen), isCode('REBALANCE_IN_PROGRESS'))
    }
    await tick()
    assert.equal(joinA.settled(), false)
    clock.advance(3000)
    const [ja, jc] = await Promise.all([joinA.promise, joinC])
    assert.equal(ja.generationId, gen + 1)
    assert.deepEqual(ja.members.map((m) => m.memberId).sort(), [a, jc.memberId].sort())
    assert.throws(() => b.groups.heartbeat('g', slow, gen), isCode('UNKNOWN_MEMBER_ID'))
  })
})

test('stale generations and unknown members are refused on heartbeat, sync and commit', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t', { partitions: 1 })
    const { a, gen } = await twoMembers(b)
    assert.throws(() => b.groups.heartbeat('g', a, gen - 1), isCode('ILLEGAL_GENERATION'))
    await assert.rejects(b.groups.syncGroup({ groupId: 'g', generationId: gen + 5, memberId: a, assignments: [] }), isCode('ILLEGAL_GENERATION'))
    await assert.rejects(
      b.groups.commitOffsets({ groupId: 'g', generationId: gen - 1, memberId: a, offsets: [{ topic: 't', partition: 0, offset: 1 }] }),
      isCode('ILLEGAL_GENERATION'),
    )
    assert.throws(() => b.groups.heartbeat('g', 'nobody', gen), isCode('UNKNOWN_MEMBER_ID'))
    assert.throws(() => b.groups.heartbeat('other', 'nobody', 1), isCode('UNKNOWN_MEMBER_ID'))
    await assert.rejects(b.groups.syncGroup({ groupId: 'g', generationId: gen, memberId: 'nobody', assignments: [] }), isCode('UNKNOWN_MEMBER_ID'))
    await assert.rejects(
      b.groups.commitOffsets({ groupId: 'g', generationId: gen, memberId: 'nobody', offsets: [{ topic: 't', partition: 0, offset: 1 }] }),
      isCode('UNKNOWN_MEMBER_ID'),
    )
    // A commit from outside the group protocol while members are active is refused too.
    await assert.rejects(
      b.groups.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 1 }] }),
      isCode('UNKNOWN_MEMBER_ID'),
    )
    assert.throws(() => b.groups.leaveGroup('g', [a, 'nobody']), isCode('UNKNOWN_MEMBER_ID'))
    assert.equal(b.groups.describeGroup('g').members.length, 2, 'a leave with a bad id removes nobody')
    assert.deepEqual(b.groups.fetchOffsets('g'), [])
    // The current generation commits.
    await b.groups.commitOffsets({ groupId: 'g', generationId: gen, memberId: a, offsets: [{ topic: 't', partition: 0, offset: 4, metadata: 'x' }] })
    assert.deepEqual(b.groups.fetchOffsets('g'), [{ topic: 't', partition: 0, offset: 4, metadata: 'x' }])
  })
})

test('a new rebalance fails syncs parked for the old generation with REBALANCE_IN_PROGRESS', async () => {
  await withBroker(async (b) => {
    const a1 = await soloMember(b)
    const joinB = b.groups.joinGroup(joinRequest({ clientId: 'cb' }))
    const [a2, b2] = await Promise.all([b.groups.joinGroup(joinRequest({ memberId: a1.memberId })), joinB])
    const parked = b.groups.syncGroup({ groupId: 'g', generationId: b2.generationId, memberId: b2.memberId, assignments: [] })
    // A third member arrives before the leader syncs.
    const joinC = b.groups.joinGroup(joinRequest({ clientId: 'cc' }))
    await assert.rejects(parked, isCode('REBALANCE_IN_PROGRESS'))
    await assert.rejects(b.groups.syncGroup({ groupId: 'g', generationId: a2.generationId, memberId: a2.memberId, assignments: [] }), isCode('REBALANCE_IN_PROGRESS'))
    const [a3, b3, c3] = await Promise.all([
      b.groups.joinGroup(joinRequest({ memberId: a2.memberId })),
      b.groups.joinGroup(joinRequest({ memberId: b2.memberId, clientId: 'cb' })),
      joinC,
    ])
    assert.equal(a3.generationId, a2.generationId + 1)
    assert.equal(b3.generationId, a3.generationId)
    assert.equal(c3.generationId, a3.generationId)
  })
})

test('the protocol is chosen by the members votes among those all support; a member sharing none is refused', async () => {
  await withBroker(async (b, clock) => {
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }))
    const ja = b.groups.joinGroup(joinRequest({ protocols: p('range', 'roundrobin', 'sticky') }))
    const jb = b.groups.joinGroup(joinRequest({ protocols: p('roundrobin', 'range') }))
    const jc = b.groups.joinGroup(joinRequest({ protocols: p('roundrobin', 'range') }))
    clock.advance(2000)
    const results = await Promise.all([ja, jb, jc])
    for (const r of results) assert.equal(r.protocolName, 'roundrobin')
    const leader = results.find((r) => r.members.length > 0)
    assert.ok(leader !== undefined)
    for (const m of leader.members) assert.equal(m.metadata.toString(), 'roundrobin')
    await assert.rejects(b.groups.joinGroup(joinRequest({ protocols: p('sticky') })), isCode('INCONSISTENT_GROUP_PROTOCOL'))
    await assert.rejects(b.groups.joinGroup(joinRequest({ protocolType: 'connect', protocols: p('range') })), isCode('INCONSISTENT_GROUP_PROTOCOL'))
    await assert.rejects(b.groups.joinGroup(joinRequest({ groupId: 'h', protocols: [] })), isCode('INCONSISTENT_GROUP_PROTOCOL'))
    assert.equal(b.groups.describeGroup('g').members.length, 3)
  }, { groupInitialRebalanceDelayMs: 1000 })
})

test('session timeouts outside the configured bounds and empty group ids are refused without creating a group', async () => {
  await withBroker(
    async (b) => {
      await assert.rejects(b.groups.joinGroup(joinRequest({ sessionTimeoutMs: 999 })), isCode('INVALID_SESSION_TIMEOUT'))
      await assert.rejects(b.groups.joinGroup(joinRequest({ sessionTimeoutMs: 60_001 })), isCode('INVALID_SESSION_TIMEOUT'))
      await assert.rejects(b.groups.joinGroup(joinRequest({ groupId: '' })), isCode('INVALID_GROUP_ID'))
      assert.deepEqual(b.groups.listGroups(), [])
      assert.equal(b.groups.describeGroup('g').state, 'Dead')
    },
    { groupMinSessionTimeoutMs: 1000, groupMaxSessionTimeoutMs: 60_000 },
  )
})

test('waiting joins and syncs reject with ABORTED when their signal aborts', async () => {
  await withBroker(async (b) => {
    const a1 = await soloMember(b)
    const ac = new AbortController()
    const joinB = b.groups.joinGroup(joinRequest({ clientId: 'cb', signal: ac.signal }))
    ac.abort()
    await assert.rejects(joinB, isCode('ABORTED'))
    // The aborted newcomer is gone, so A alone completes the rebalance.
    const a2 = await b.groups.joinGroup(joinRequest({ memberId: a1.memberId }))
    assert.deepEqual(a2.members.map((m) => m.memberId), [a1.memberId])
    const jb = b.groups.joinGroup(joinRequest({ clientId: 'cb' }))
    const [a3, b3] = await Promise.all([b.groups.joinGroup(joinRequest({ memberId: a1.memberId })), jb])
    const sc = new AbortController()
    const syncB = b.groups.syncGroup({ groupId: 'g', generationId: b3.generationId, memberId: b3.memberId, assignments: [], signal: sc.signal })
    sc.abort()
    await assert.rejects(syncB, isCode('ABORTED'))
    const mine = await b.groups.syncGroup({
      groupId: 'g',
      generationId: a3.generationId,
      memberId: a3.memberId,
      assignments: [{ memberId: a3.memberId, assignment: Buffer.from('A') }],
    })
    assert.equal(mine.toString(), 'A')
    // B still belongs to the generation and reads its (empty) assignment.
    const bAssignment = await b.groups.syncGroup({ groupId: 'g', generationId: b3.generationId, memberId: b3.memberId, assignments: [] })
    assert.equal(bAssignment.length, 0)
  })
})

test('a static member restarting with the same subscription keeps its assignment without a rebalance', async () => {
  await withBroker(async (b, clock) => {
    const ja = b.groups.joinGroup(joinRequest({ groupInstanceId: 'ia' }))
    const jb = b.groups.joinGroup(joinRequest({ groupInstanceId: 'ib' }))
    clock.advance(2000)
    const [a, bb] = await Promise.all([ja, jb])
    const leader = a.members.length > 0 ? a : bb
    const follower = leader === a ? bb : a
    const syncF = b.groups.syncGroup({ groupId: 'g', generationId: follower.generationId, memberId: follower.memberId, assignments: [] })
    await b.groups.syncGroup({
      groupId: 'g',
      generationId: leader.generationId,
      memberId: leader.memberId,
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('for-a') },
        { memberId: bb.memberId, assignment: Buffer.from('for-b') },
      ],
    })
    await syncF
    // Instance ib restarts: it has no member id, but the same instance id.
    const rejoined = await b.groups.joinGroup(joinRequest({ groupInstanceId: 'ib' }))
    assert.notEqual(rejoined.memberId, bb.memberId)
    assert.equal(rejoined.generationId, bb.generationId, 'no new generation')
    assert.equal(b.groups.describeGroup('g').state, 'Stable')
    const assignment = await b.groups.syncGroup({ groupId: 'g', generationId: rejoined.generationId, memberId: rejoined.memberId, groupInstanceId: 'ib', assignments: [] })
    assert.equal(assignment.toString(), 'for-b')
    // The old incarnation is fenced.
    assert.throws(() => b.groups.heartbeat('g', bb.memberId, bb.generationId), isCode('UNKNOWN_MEMBER_ID'))
    await assert.rejects(b.groups.joinGroup(joinRequest({ memberId: bb.memberId, groupInstanceId: 'ib' })), isCode('FENCED_INSTANCE_ID'))
    b.groups.heartbeat('g', rejoined.memberId, rejoined.generationId)
  }, { groupInitialRebalanceDelayMs: 1000 })
})

test('with an initial rebalance delay, members arriving together form one first generation', async () => {
  await withBroker(
    async (b, clock) => {
      const ja = track(b.groups.joinGroup(joinRequest()))
      clock.advance(2000)
      const jb = track(b.groups.joinGroup(joinRequest()))
      // At 3 s the delay is up, but B arrived during it: wait another delay.
      clock.advance(1000)
      clock.advance(2999)
      await tick()
      assert.equal(ja.settled(), false, 'the delay restarts while members keep arriving')
      clock.advance(1)
      const [a, bb] = await Promise.all([ja.promise, jb.promise])
      assert.equal(a.generationId, 1)
      assert.equal(bb.generationId, 1)
    },
    { groupInitialRebalanceDelayMs: 3000 },
  )
})

test('committed offsets survive a restart; groups with offsets come back Empty', async () => {
  const dir = await tempDir()
  try {
    const clock = new ManualClock(5000)
    let b = await Broker.open({ dataDir: dir }, { clock })
    await b.createTopic('t', { partitions: 2 })
    const j = await soloMember(b)
    await b.groups.commitOffsets({
      groupId: 'g',
      generationId: j.generationId,
      memberId: j.memberId,
      offsets: [
        { topic: 't', partition: 0, offset: 10, metadata: 'meta-0' },
        { topic: 't', partition: 1, offset: 20 },
      ],
    })
    await b.groups.commitOffsets({ groupId: 'g', generationId: j.generationId, memberId: j.memberId, offsets: [{ topic: 't', partition: 0, offset: 11, metadata: null }] })
    await b.groups.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 1, offset: 7 }] })
    await b.close()

    b = await Broker.open({ dataDir: dir }, { clock })
    try {
      assert.deepEqual(b.groups.fetchOffsets('g'), [
        { topic: 't', partition: 0, offset: 11, metadata: null },
        { topic: 't', partition: 1, offset: 20, metadata: null },
      ])
      assert.deepEqual(b.groups.fetchOffsets('simple', [{ topic: 't', partition: 1 }, { topic: 't', partition: 0 }]), [
        { topic: 't', partition: 1, offset: 7, metadata: null },
        { topic: 't', partition: 0, offset: -1, metadata: null },
      ])
      assert.deepEqual(b.groups.listGroups(), [
        { groupId: 'g', state: 'Empty', protocolType: '' },
        { groupId: 'simple', state: 'Empty', protocolType: '' },
      ])
      // The old member id means nothing now; a fresh join starts over.
      assert.throws(() => b.groups.heartbeat('g', j.memberId, j.generationId), isCode('UNKNOWN_MEMBER_ID'))
      assert.equal(b.listTopics().includes('__consumer_offsets'), false)
      assert.equal(b.listTopics({ includeInternal: true }).includes('__consumer_offsets'), true)
    } finally {
      await b.close()
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
})

test('lag per partition counts from the committed offset, or from the log start without one; it is a metric too', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t', { partitions: 2 })
    const batch = (n: number): Buffer => encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })), { timestamp: 1 })
    await b.produce('t', 0, batch(5))
    await b.produce('t', 0, batch(3))
    await b.produce('t', 1, batch(4))
    await b.groups.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 6, metadata: 'm' }] })
    assert.deepEqual(b.groups.groupLag('g'), [
      { topic: 't', partition: 0, committedOffset: 6, logEndOffset: 8, lag: 2, metadata: 'm' },
      { topic: 't', partition: 1, committedOffset: -1, logEndOffset: 4, lag: 4, metadata: null },
    ])
    const text = toPrometheusText(b.metrics)
    assert.match(text, /^tributary_group_lag\{group="g",topic="t",partition="0"\} 2$/m)
    assert.match(text, /^tributary_group_lag\{group="g",topic="t",partition="1"\} 4$/m)
    assert.throws(() => b.groups.groupLag('nope'), isCode('UNKNOWN_GROUP'))
    // A consumer subscribed to a topic it never committed to shows that topic's full lag.
    await b.createTopic('u', { partitions: 1 })
    await b.produce('u', 0, batch(2))
    await b.groups.joinGroup(joinRequest({ groupId: 'fresh', protocols: [{ name: 'range', metadata: encodeSubscription({ topics: ['u'] }) }] }))
    assert.deepEqual(b.groups.groupLag('fresh'), [{ topic: 'u', partition: 0, committedOffset: -1, logEndOffset: 2, lag: 2, metadata: null }])
  })
})

test('deleteGroup needs an empty group, removes its offsets durably and leaves other groups alone', async () => {
  const dir = await tempDir()
  try {
    const clock = new ManualClock(0)
    let b = await Broker.open({ dataDir: dir }, { clock })
    await b.createTopic('t', { partitions: 1 })
    const j = await soloMember(b)
    await b.groups.commitOffsets({ groupId: 'g', generationId: j.generationId, memberId: j.memberId, offsets: [{ topic: 't', partition: 0, offset: 5 }] })
    await b.groups.commitOffsets({ groupId: 'g2', generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 9 }] })
    await assert.rejects(b.groups.deleteGroup('g'), isCode('GROUP_NOT_EMPTY'))
    await assert.rejects(b.groups.deleteGroup('nope'), isCode('UNKNOWN_GROUP'))
    b.groups.leaveGroup('g', [j.memberId])
    assert.equal(b.groups.describeGroup('g').state, 'Empty')
    await b.groups.deleteGroup('g')
    assert.deepEqual(b.groups.fetchOffsets('g'), [])
    assert.equal(b.groups.describeGroup('g').state, 'Dead')
    assert.deepEqual(b.groups.fetchOffsets('g2'), [{ topic: 't', partition: 0, offset: 9, metadata: null }])
    await b.close()
    b = await Broker.open({ dataDir: dir }, { clock })
    try {
      assert.deepEqual(b.groups.fetchOffsets('g'), [])
      assert.deepEqual(b.groups.listGroups().map((g) => g.groupId), ['g2'])
      assert.deepEqual(b.groups.fetchOffsets('g2'), [{ topic: 't', partition: 0, offset: 9, metadata: null }])
    } finally {
      await b.close()
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
})

test('groups reading one topic keep independent offsets', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t', { partitions: 1 })
    const commit = (groupId: string, offset: number) =>
      b.groups.commitOffsets({ groupId, generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset }] })
    await Promise.all([commit('g1', 3), commit('g2', 8), commit('g3', 1)])
    await commit('g1', 4)
    assert.equal(b.groups.fetchOffsets('g1')[0]?.offset, 4)
    assert.equal(b.groups.fetchOffsets('g2')[0]?.offset, 8)
    assert.equal(b.groups.fetchOffsets('g3')[0]?.offset, 1)
  })
})

test('bad commits change nothing: unknown topics and partitions, negative offsets, oversized metadata', async () => {
  await withBroker(
    async (b) => {
      await b.createTopic('t', { partitions: 2 })
      const commit = (offsets: { topic: string; partition: number; offset: number; metadata?: string }[]) =>
        b.groups.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets })
      await assert.rejects(commit([{ topic: 't', partition: 0, offset: 1 }, { topic: 'nope', partition: 0, offset: 1 }]), isCode('UNKNOWN_TOPIC'))
      await assert.rejects(commit([{ topic: 't', partition: 2, offset: 1 }]), isCode('UNKNOWN_PARTITION'))
      await assert.rejects(commit([{ topic: 't', partition: -1, offset: 1 }]), isCode('UNKNOWN_PARTITION'))
      await assert.rejects(commit([{ topic: 't', partition: 0, offset: -5 }]), isCode('INVALID_ARGUMENT'))
      await assert.rejects(commit([{ topic: 't', partition: 0, offset: 1, metadata: 'x'.repeat(11) }]), isCode('OFFSET_METADATA_TOO_LARGE'))
      await assert.rejects(b.groups.commitOffsets({ groupId: 'g', generationId: 3, memberId: 'm', offsets: [{ topic: 't', partition: 0, offset: 1 }] }), isCode('ILLEGAL_GENERATION'))
      assert.deepEqual(b.groups.listGroups(), [])
      assert.deepEqual(b.groups.fetchOffsets('g'), [])
    },
    { offsetMetadataMaxBytes: 10 },
  )
})

test('deleting a topic drops the groups offsets for it', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t', { partitions: 1 })
    await b.createTopic('keep', { partitions: 1 })
    await b.groups.commitOffsets({
      groupId: 'g',
      generationId: -1,
      memberId: '',
      offsets: [
        { topic: 't', partition: 0, offset: 1 },
        { topic: 'keep', partition: 0, offset: 2 },
      ],
    })
    await b.deleteTopic('t')
    assert.deepEqual(b.groups.fetchOffsets('g'), [{ topic: 'keep', partition: 0, offset: 2, metadata: null }])
  })
})

test('closing the broker fails parked joins with CLOSED', async () => {
  const dir = await tempDir()
  try {
    const b = await Broker.open({ dataDir: dir }, { clock: new ManualClock(0) })
    const a = await soloMember(b)
    const joinB = assert.rejects(b.groups.joinGroup(joinRequest({ clientId: 'cb' })), isCode('CLOSED'))
    await b.close()
    await joinB
    assert.throws(() => b.groups.heartbeat('g', a.memberId, a.generationId), isCode('CLOSED'))
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
})

test('a leader that never syncs is removed after the rebalance timeout and the rest rebalance', async () => {
  await withBroker(async (b, clock) => {
    const a1 = await soloMember(b)
    const joinB = b.groups.joinGroup(joinRequest({ clientId: 'cb' }))
    const [a2, b2] = await Promise.all([b.groups.joinGroup(joinRequest({ memberId: a1.memberId })), joinB])
    assert.equal(a2.leader, a1.memberId)
    // A repeated join in CompletingRebalance answers with the same generation.
    const again = await b.groups.joinGroup(joinRequest({ memberId: b2.memberId, clientId: 'cb' }))
    assert.equal(again.generationId, b2.generationId)
    b.groups.heartbeat('g', b2.memberId, b2.generationId)
    const parked = assert.rejects(
      b.groups.syncGroup({ groupId: 'g', generationId: b2.generationId, memberId: b2.memberId, assignments: [] }),
      isCode('REBALANCE_IN_PROGRESS'),
    )
    // The leader heartbeats (so its session lives) but never sends SyncGroup.
    for (let t = 0; t < REBALANCE; t += 5000) {
      clock.advance(5000)
      try {
        b.groups.heartbeat('g', a2.memberId, a2.generationId)
      } catch {
        // once removed, the leader is unknown
      }
    }
    await parked
    assert.deepEqual(b.groups.describeGroup('g').members.map((m) => m.memberId), [b2.memberId])
    const b3 = await b.groups.joinGroup(joinRequest({ memberId: b2.memberId, clientId: 'cb' }))
    assert.equal(b3.leader, b2.memberId)
  })
})

test('a group whose members all left stays Empty until maintenance finds it without offsets', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t')
    const j = await soloMember(b)
    const k = await soloMember(b, 'kept')
    b.groups.leaveGroup('g', [j.memberId])
    await b.groups.commitOffsets({ groupId: 'kept', generationId: k.generationId, memberId: k.memberId, offsets: [{ topic: 't', partition: 0, offset: 0 }] })
    b.groups.leaveGroup('kept', [k.memberId])
    const d = b.groups.describeGroup('g')
    assert.equal(d.state, 'Empty')
    assert.equal(d.generationId, j.generationId + 1)
    await b.runMaintenance()
    assert.equal(b.groups.describeGroup('g').state, 'Dead')
    assert.equal(b.groups.describeGroup('kept').state, 'Empty')
  })
})
