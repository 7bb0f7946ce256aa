/** @module Contract cases: topics, configs, partitions, offsets, group lag and offset resets, errors. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { type ContractSetup, consumeN, createTopic, expectCode, groupName, text, topicName, withClient } from './harness.ts'

export function adminCases(setup: ContractSetup): void {
  it('creates, lists, describes, alters, grows and deletes topics', () =>
    withClient(setup, async (client) => {
      const admin = client.admin()
      const name = topicName('admin')
      await admin.createTopics([{ name, partitions: 2, configs: { 'retention.ms': '3600000' } }])
      await expectCode(admin.createTopics([{ name, partitions: 1 }]), 'TOPIC_ALREADY_EXISTS')
      const listed = await admin.listTopics()
      assert.ok(listed.includes(name))
      assert.ok(listed.every((t) => !t.startsWith('__')), 'internal topics are hidden by default')
      const [info] = await admin.describeTopics([name])
      assert.equal(info?.name, name)
      assert.equal(info?.internal, false)
      assert.deepEqual(info?.partitions, [
        { partition: 0, logStartOffset: 0, logEndOffset: 0 },
        { partition: 1, logStartOffset: 0, logEndOffset: 0 },
      ])
      assert.equal(info?.configs['retention.ms'], '3600000')
      const defaultCleanup = info?.configs['cleanup.policy']

      await admin.alterTopicConfigs(name, { 'retention.ms': '7200000', 'cleanup.policy': 'compact' })
      let configs = (await admin.describeTopics([name]))[0]?.configs ?? {}
      assert.equal(configs['retention.ms'], '7200000')
      assert.equal(configs['cleanup.policy'], 'compact')
      await admin.alterTopicConfigs(name, { 'cleanup.policy': null })
      configs = (await admin.describeTopics([name]))[0]?.configs ?? {}
      assert.equal(configs['cleanup.policy'], defaultCleanup, 'a removed config falls back to the default')
      assert.equal(configs['retention.ms'], '7200000')

      await admin.createPartitions(name, 4)
      assert.equal((await admin.describeTopics([name]))[0]?.partitions.length, 4)
      const meta = await client.producer().send([{ topic: name, partition: 3, value: 'in a new partition' }])
      assert.deepEqual(meta.map((m) => [m.partition, m.baseOffset]), [[3, 0]])
      assert.equal((await admin.describeTopics([name]))[0]?.partitions[3]?.logEndOffset, 1)
      await expectCode(admin.createPartitions(name, 2), 'INVALID_PARTITIONS')

      await admin.deleteTopics([name])
      assert.ok(!(await admin.listTopics()).includes(name))
      await expectCode(admin.describeTopics([name]), 'UNKNOWN_TOPIC')
    }))

  it('lists earliest, latest and by-timestamp offsets per partition', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'offsets', 2)
      const base = Date.now() - 60_000
      const producer = client.producer()
      for (let i = 0; i < 3; i++) await producer.send([{ topic, partition: 0, value: `v${i}`, timestamp: base + i * 1000 }])
      const admin = client.admin()
      assert.deepEqual((await admin.listOffsets(topic, 'earliest')).map((o) => [o.partition, o.offset]), [[0, 0], [1, 0]])
      assert.deepEqual((await admin.listOffsets(topic, 'latest')).map((o) => [o.partition, o.offset]), [[0, 3], [1, 0]])
      const [byTime] = await admin.listOffsets(topic, { timestamp: base + 1500 })
      assert.deepEqual([byTime?.offset, byTime?.timestamp], [2, base + 2000])
    }))

  it('reports group lag and resets an inactive group to replay', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'lag', 2)
      const groupId = groupName('lag')
      const admin = client.admin()
      const producer = client.producer()
      const base = Date.now() - 60_000
      for (let i = 0; i < 10; i++) await producer.send([{ topic, partition: i % 2, value: `a${i}`, timestamp: base + i * 1000 }])
      const consumer = client.consumer({ groupId, autoOffsetReset: 'earliest', heartbeatIntervalMs: 100 })
      await consumer.subscribe([topic])
      await consumeN(consumer, 10)
      await consumer.commit()
      await consumer.close()
      assert.deepEqual((await admin.groupLag(groupId)).map((l) => [l.topic, l.partition, l.committedOffset, l.logEndOffset, l.lag]), [
        [topic, 0, 5, 5, 0],
        [topic, 1, 5, 5, 0],
      ])
      await producer.send([0, 1, 2].map((i) => ({ topic, partition: 0, value: `b${i}` })))
      assert.deepEqual((await admin.groupLag(groupId)).map((l) => l.lag), [3, 0])

      assert.deepEqual((await admin.resetGroupOffsets(groupId, topic, 'earliest')).map((o) => [o.partition, o.offset]), [[0, 0], [1, 0]])
      assert.deepEqual((await admin.groupLag(groupId)).map((l) => l.lag), [8, 5])
      assert.deepEqual((await admin.fetchGroupOffsets(groupId)).map((o) => [o.topic, o.partition, o.offset]), [[topic, 0, 0], [topic, 1, 0]])
      const replay = client.consumer({ groupId, autoOffsetReset: 'latest', heartbeatIntervalMs: 100 })
      await replay.subscribe([topic])
      const all = await consumeN(replay, 13)
      assert.equal(new Set(all.map((r) => text(r.value))).size, 13)
      await replay.close()

      await admin.resetGroupOffsets(groupId, topic, { offset: 3 }, [1])
      assert.deepEqual((await admin.fetchGroupOffsets(groupId, [topic])).map((o) => [o.partition, o.offset]), [[0, 0], [1, 3]])
      // Partition 1 holds a1, a3, a5, ... at offsets 0, 1, 2: a5 (offset 2) is the first at or after base + 4500.
      await admin.resetGroupOffsets(groupId, topic, { timestamp: base + 4500 }, [1])
      assert.deepEqual((await admin.fetchGroupOffsets(groupId, [topic])).map((o) => o.offset), [0, 2])
      await admin.resetGroupOffsets(groupId, topic, 'latest')
      assert.deepEqual((await admin.groupLag(groupId)).map((l) => l.lag), [0, 0])
      await expectCode(admin.resetGroupOffsets(groupId, topic, 'earliest', [7]), 'UNKNOWN_PARTITION')

      await admin.deleteGroups([groupId])
      assert.ok(!(await admin.listGroups()).some((g) => g.groupId === groupId))
    }))

  it('rejects unknown topics and partitions, writing nothing', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'errors', 2)
      const producer = client.producer()
      await expectCode(producer.send([{ topic: topicName('missing'), value: 'x' }]), 'UNKNOWN_TOPIC')
      await expectCode(producer.send([{ topic, partition: 2, value: 'x' }]), 'UNKNOWN_PARTITION')
      await expectCode(producer.send([{ topic, partition: -1, value: 'x' }]), 'UNKNOWN_PARTITION')
      // A bad record anywhere in a send fails the whole send before anything is written.
      await expectCode(producer.send([{ topic, partition: 0, value: 'ok' }, { topic, partition: 9, value: 'bad' }]), 'UNKNOWN_PARTITION')
      const admin = client.admin()
      assert.deepEqual((await admin.listOffsets(topic, 'latest')).map((o) => o.offset), [0, 0])
      await expectCode(admin.describeTopics([topicName('missing')]), 'UNKNOWN_TOPIC')
      await expectCode(admin.listOffsets(topicName('missing'), 'latest'), 'UNKNOWN_TOPIC')
      const consumer = client.consumer()
      await expectCode(consumer.subscribe([topic]), 'INVALID_ARGUMENT')
      await expectCode(async () => consumer.position({ topic, partition: 0 }), 'ILLEGAL_STATE')
    }))
}
