/** @module Contract cases: consumer groups, rebalancing, commits and restart from committed offsets. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { type ConsumerOptions, type TopicPartition } from '../types.ts'
import { type ContractSetup, background, consumeN, createTopic, expectCode, groupName, text, waitFor, withClient } from './harness.ts'

/** Fast heartbeats so rebalances settle quickly in tests. */
const fast: ConsumerOptions = { heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, autoOffsetReset: 'earliest' }

function names(tps: readonly TopicPartition[]): string[] {
  return tps.map((tp) => `${tp.topic}/${tp.partition}`).sort()
}

export function groupCases(setup: ContractSetup): void {
  it('splits partitions between two members and hands them all to the one left', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'group', 4)
      const groupId = groupName('g')
      const events: string[] = []
      const listener = (who: string): NonNullable<ConsumerOptions['rebalanceListener']> => ({
        onPartitionsRevoked: (tps) => void events.push(`${who} revoked ${tps.length}`),
        onPartitionsAssigned: (tps) => void events.push(`${who} assigned ${tps.length}`),
      })
      const c1 = client.consumer({ ...fast, groupId, autoCommit: true, autoCommitIntervalMs: 100, rebalanceListener: listener('c1') })
      const c2 = client.consumer({ ...fast, groupId, autoCommit: true, autoCommitIntervalMs: 100, rebalanceListener: listener('c2') })
      await Promise.all([c1.subscribe([topic]), c2.subscribe([topic])])
      const r1 = background(c1)
      const r2 = background(c2)
      const producer = client.producer()
      await producer.send(Array.from({ length: 40 }, (_, i) => ({ topic, key: `k${i}`, value: `first-${i}` })))
      await waitFor('both members to share the partitions and read every record', () => {
        const a = names(c1.assignment())
        const b = names(c2.assignment())
        return a.length > 0 && b.length > 0 && a.length + b.length === 4 && r1.records.length + r2.records.length >= 40
      })
      assert.deepEqual([...names(c1.assignment()), ...names(c2.assignment())].sort(), [0, 1, 2, 3].map((p) => `${topic}/${p}`))
      for (const r of r1.records) assert.ok(names(c1.assignment()).includes(`${topic}/${r.partition}`))
      for (const r of r2.records) assert.ok(names(c2.assignment()).includes(`${topic}/${r.partition}`))
      assert.deepEqual([...r1.records, ...r2.records].map((r) => text(r.value)).sort(), Array.from({ length: 40 }, (_, i) => `first-${i}`).sort())

      await r2.stop()
      await c2.close()
      await waitFor('the remaining member to own every partition', () => c1.assignment().length === 4)
      await producer.send(Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, value: `second-${i}` })))
      await waitFor('the remaining member to read the new records', () => r1.records.filter((r) => text(r.value)?.startsWith('second-')).length >= 20)
      await r1.stop()
      // Committed positions moved with the partitions: nothing was read twice.
      const all = [...r1.records, ...r2.records].map((r) => text(r.value))
      assert.equal(new Set(all).size, all.length, 'no record read twice')
      assert.equal(all.length, 60)
      // Default assignors are eager: every rebalance revokes all that was assigned, then assigns anew.
      for (const who of ['c1', 'c2']) {
        const mine = events.filter((e) => e.startsWith(`${who} `)).map((e) => e.split(' '))
        mine.forEach(([, kind, n], i) => {
          assert.equal(kind, i % 2 === 0 ? 'assigned' : 'revoked', `${who}: ${events.join(', ')}`)
          if (kind === 'revoked') assert.equal(n, mine[i - 1]?.[2], `${who} revoked what it had: ${events.join(', ')}`)
        })
      }
      assert.equal(events.filter((e) => e.startsWith('c1 ')).at(-1), 'c1 assigned 4')
      assert.match(events.filter((e) => e.startsWith('c2 ')).at(-1) ?? '', /^c2 revoked [1-3]$/, 'c2 revoked its partitions on close')
      await c1.close()
    }))

  it('commits positions or explicit offsets and reads them back with committed()', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'commit', 2)
      const groupId = groupName('commit')
      await client.producer().send(Array.from({ length: 6 }, (_, i) => ({ topic, partition: 0, value: `v${i}` })))
      const consumer = client.consumer({ ...fast, groupId })
      const p0 = { topic, partition: 0 }
      const p1 = { topic, partition: 1 }
      await consumer.assign([p0, p1])
      assert.deepEqual(await consumer.committed([p0, p1]), [
        { ...p0, offset: -1, metadata: null },
        { ...p1, offset: -1, metadata: null },
      ])
      await consumeN(consumer, 6)
      await consumer.commit()
      assert.deepEqual((await consumer.committed([p0, p1])).map((c) => c.offset), [6, 0])
      await consumer.commit([{ ...p0, offset: 4, metadata: 'checkpoint-7' }])
      const [c0] = await consumer.committed([p0])
      assert.equal(c0?.offset, 4)
      assert.equal(c0?.metadata, 'checkpoint-7')
      await consumer.close()
      await expectCode(client.consumer().commit([{ ...p0, offset: 1 }]), 'INVALID_ARGUMENT')
    }))

  it('restarts from committed offsets, explicit or auto-committed on close', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'restart')
      const groupId = groupName('restart')
      const producer = client.producer()
      await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic, value: `a${i}` })))
      const first = client.consumer({ ...fast, groupId })
      await first.subscribe([topic])
      assert.equal((await consumeN(first, 10)).length, 10)
      await first.commit()
      await first.close()

      await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic, value: `b${i}` })))
      const second = client.consumer({ ...fast, groupId, autoCommit: true })
      await second.subscribe([topic])
      const got = await consumeN(second, 5)
      assert.deepEqual(got.map((r) => [r.offset, text(r.value)]), [0, 1, 2, 3, 4].map((i) => [10 + i, `b${i}`]))
      await second.close()

      const admin = client.admin()
      const lag = await admin.groupLag(groupId)
      assert.deepEqual(lag.map((l) => [l.partition, l.committedOffset, l.logEndOffset, l.lag]), [[0, 15, 15, 0]])
      await producer.send([{ topic, value: 'c0' }])
      const third = client.consumer({ ...fast, groupId })
      await third.subscribe([topic])
      assert.deepEqual((await consumeN(third, 1)).map((r) => r.offset), [15])
      await third.close()
    }))

  it('shows groups, members and their assignment to the admin', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'describe', 3)
      const groupId = groupName('describe')
      const consumer = client.consumer({ ...fast, groupId, clientId: 'contract-client' })
      await consumer.subscribe([topic])
      const admin = client.admin()
      await waitFor('the group to be stable', async () => (await admin.describeGroup(groupId)).state === 'Stable')
      const listed = (await admin.listGroups()).find((g) => g.groupId === groupId)
      assert.deepEqual(listed, { groupId, state: 'Stable', protocolType: 'consumer' })
      const info = await admin.describeGroup(groupId)
      assert.equal(info.protocolType, 'consumer')
      assert.equal(info.protocol, 'range')
      assert.equal(info.members.length, 1)
      assert.equal(info.members[0]?.clientId, 'contract-client')
      assert.deepEqual(names(info.members[0]?.assignment ?? []), [0, 1, 2].map((p) => `${topic}/${p}`))
      await expectCode(admin.resetGroupOffsets(groupId, topic, 'earliest'), 'GROUP_NOT_EMPTY')
      await consumer.close()
      await waitFor('the group to be empty', async () => (await admin.describeGroup(groupId)).members.length === 0)
    }))
}
