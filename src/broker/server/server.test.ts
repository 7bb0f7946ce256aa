// The wire server over real sockets with a raw client built from the generated codecs: handshake,
// metadata, topics, produce/fetch of stored bytes, long polls, pipelining and the group protocol.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { KafkaError } from '../../protocol/error-codes.ts'
import { API_CODECS, API_INFO, ApiKey, encodeRequest } from '../../protocol/messages/index.ts'
import { BatchOffsets } from '../../protocol/records/batch-header.ts'
import { decodeRecordBatch } from '../../protocol/records/record-batch.ts'
import { encodeAssignment, encodeSubscription } from '../../protocol/consumer-protocol.ts'
import { RawKafkaClient, type TestServer, batchOf, startTestServer } from './server-test-support.ts'

const C = API_CODECS

let ts: TestServer
before(async () => {
  ts = await startTestServer({ broker: { autoCreateTopics: true } })
})
after(async () => {
  await ts.close()
})

async function createTopic(name: string, partitions = 1): Promise<void> {
  const c = await ts.connect()
  const res = await c.call(C.CreateTopics[7], {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  })
  assert.equal(res.topics[0]?.errorCode, KafkaError.NONE, res.topics[0]?.errorMessage ?? '')
  c.close()
}

function produceV9(topic: string, partition: number, records: Buffer, acks = -1) {
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }
}

function fetchV12(topic: string, partition: number, offset: number, options: { maxWaitMs?: number; minBytes?: number; isolationLevel?: number } = {}) {
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 0,
    maxBytes: 1 << 20,
    isolationLevel: options.isolationLevel ?? 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  }
}

describe('ApiVersions', () => {
  test('every served API is listed from version 0, at every ApiVersions version', async () => {
    const c = await ts.connect()
    for (let v = 0; v <= 3; v++) {
      const codec = C.ApiVersions[v as 0 | 1 | 2 | 3]
      const res = await c.call(codec, { clientSoftwareName: 'raw-test', clientSoftwareVersion: '1.0' })
      assert.equal(res.errorCode, KafkaError.NONE)
      assert.equal(res.apiKeys.length, API_INFO.length)
      for (const info of API_INFO) {
        const entry = res.apiKeys.find((k) => k.apiKey === info.apiKey)
        assert.deepEqual(entry, { apiKey: info.apiKey, minVersion: 0, maxVersion: info.maxVersion })
      }
    }
    c.close()
  })

  test('an unknown ApiVersions version is answered in the v0 format with error 35 and the key list', async () => {
    const c = await ts.connect()
    const frame = Buffer.alloc(4 + 8 + 2)
    frame.writeInt32BE(frame.length - 4, 0)
    frame.writeInt16BE(ApiKey.ApiVersions, 4)
    frame.writeInt16BE(99, 6)
    frame.writeInt32BE(4242, 8)
    frame.writeInt16BE(-1, 12) // null client id
    c.sendRaw(frame)
    const res = await c.receive(C.ApiVersions[0], 4242)
    assert.equal(res.errorCode, KafkaError.UNSUPPORTED_VERSION)
    assert.ok(res.apiKeys.some((k) => k.apiKey === ApiKey.ApiVersions && k.maxVersion === 3))
    // The connection stays usable: the client retries with a version we know.
    const retry = await c.call(C.ApiVersions[1], {})
    assert.equal(retry.errorCode, KafkaError.NONE)
    c.close()
  })

  test('v3 with an invalid client software name is INVALID_REQUEST', async () => {
    const c = await ts.connect()
    const res = await c.call(C.ApiVersions[3], { clientSoftwareName: '-bad name-', clientSoftwareVersion: '1' })
    assert.equal(res.errorCode, KafkaError.INVALID_REQUEST)
    c.close()
  })

  test('an unsupported version of another API closes the connection', async () => {
    const c = await ts.connect()
    const frame = Buffer.alloc(4 + 8 + 2)
    frame.writeInt32BE(frame.length - 4, 0)
    frame.writeInt16BE(ApiKey.Metadata, 4)
    frame.writeInt16BE(50, 6)
    frame.writeInt32BE(1, 8)
    frame.writeInt16BE(-1, 12)
    c.sendRaw(frame)
    await c.closed
    assert.ok(c.isClosed)
  })
})

describe('Metadata and topic administration', () => {
  test('CreateTopics creates, validateOnly does not, and duplicates are refused', async () => {
    const c = await ts.connect()
    const topic = (name: string, numPartitions = 3) => ({ name, numPartitions, replicationFactor: -1, assignments: [], configs: [{ name: 'retention.ms', value: '60000' }] })
    const dry = await c.call(C.CreateTopics[7], { topics: [topic('dry-run')], timeoutMs: 1000, validateOnly: true })
    assert.equal(dry.topics[0]?.errorCode, KafkaError.NONE)
    assert.equal(ts.broker.hasTopic('dry-run'), false)
    const made = await c.call(C.CreateTopics[7], { topics: [topic('made')], timeoutMs: 1000, validateOnly: false })
    assert.equal(made.topics[0]?.errorCode, KafkaError.NONE)
    assert.equal(made.topics[0]?.numPartitions, 3)
    assert.equal(made.topics[0]?.topicId, ts.broker.describeTopic('made').id)
    assert.equal(ts.broker.describeTopic('made').configs['retention.ms'], '60000')
    const again = await c.call(C.CreateTopics[2], { topics: [topic('made')], timeoutMs: 1000, validateOnly: false })
    assert.equal(again.topics[0]?.errorCode, KafkaError.TOPIC_ALREADY_EXISTS)
    const bad = await c.call(C.CreateTopics[7], {
      topics: [{ ...topic('rf3'), replicationFactor: 3 }, { ...topic('bad config'), configs: [] }, { ...topic('cfg'), configs: [{ name: 'retention.ms', value: 'soon' }] }],
      timeoutMs: 1000,
      validateOnly: false,
    })
    assert.deepEqual(bad.topics.map((t) => t.errorCode), [KafkaError.INVALID_REPLICATION_FACTOR, KafkaError.INVALID_TOPIC_EXCEPTION, KafkaError.INVALID_CONFIG])
    c.close()
  })

  test('Metadata names this node as leader, lists topics with their ids and auto-creates when allowed', async () => {
    await createTopic('meta', 2)
    const c = await ts.connect()
    const all = await c.call(C.Metadata[12], { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    assert.deepEqual(all.brokers, [{ nodeId: 0, host: '127.0.0.1', port: ts.port, rack: null }])
    assert.equal(all.controllerId, 0)
    assert.equal(typeof all.clusterId, 'string')
    const meta = all.topics.find((t) => t.name === 'meta')
    assert.equal(meta?.topicId, ts.broker.describeTopic('meta').id)
    assert.deepEqual(meta?.partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes]), [[0, 0, [0], [0]], [1, 0, [0], [0]]])
    assert.ok(!all.topics.some((t) => t.name === '__consumer_offsets'))

    const missing = await c.call(C.Metadata[9], { topics: [{ name: 'nope' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    assert.equal(missing.topics[0]?.errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(ts.broker.hasTopic('nope'), false)

    const created = await c.call(C.Metadata[4], { topics: [{ name: 'auto-made' }], allowAutoTopicCreation: true })
    assert.equal(created.topics[0]?.errorCode, KafkaError.NONE)
    assert.equal(created.topics[0]?.partitions.length, 1)
    assert.ok(ts.broker.hasTopic('auto-made'))

    const invalid = await c.call(C.Metadata[1], { topics: [{ name: 'bad/name' }] })
    assert.equal(invalid.topics[0]?.errorCode, KafkaError.INVALID_TOPIC_EXCEPTION)

    const byId = await c.call(C.Metadata[12], { topics: [{ topicId: ts.broker.describeTopic('meta').id, name: null }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    assert.equal(byId.topics[0]?.name, 'meta')
    const v0 = await c.call(C.Metadata[0], { topics: [] })
    assert.ok(v0.topics.some((t) => t.name === 'meta'))
    c.close()
  })

  test('CreatePartitions grows a topic, DescribeConfigs/AlterConfigs read and change configs, DeleteTopics removes', async () => {
    await createTopic('admin-t', 1)
    const c = await ts.connect()
    const grow = await c.call(C.CreatePartitions[3], { topics: [{ name: 'admin-t', count: 3, assignments: null }, { name: 'admin-t-missing', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false })
    assert.deepEqual(grow.results.map((r) => r.errorCode), [KafkaError.NONE, KafkaError.UNKNOWN_TOPIC_OR_PARTITION])
    assert.equal(ts.broker.describeTopic('admin-t').partitions.length, 3)
    const shrink = await c.call(C.CreatePartitions[0], { topics: [{ name: 'admin-t', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false })
    assert.equal(shrink.results[0]?.errorCode, KafkaError.INVALID_PARTITIONS)

    const alter = await c.call(C.AlterConfigs[2], { resources: [{ resourceType: 2, resourceName: 'admin-t', configs: [{ name: 'retention.ms', value: '1234' }] }], validateOnly: false })
    assert.equal(alter.responses[0]?.errorCode, KafkaError.NONE)
    const badAlter = await c.call(C.AlterConfigs[0], { resources: [{ resourceType: 2, resourceName: 'admin-t', configs: [{ name: 'no.such.config', value: '1' }] }], validateOnly: false })
    assert.equal(badAlter.responses[0]?.errorCode, KafkaError.INVALID_CONFIG)
    const described = await c.call(C.DescribeConfigs[4], { resources: [{ resourceType: 2, resourceName: 'admin-t', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false })
    assert.deepEqual(described.results[0]?.configs.map((x) => [x.name, x.value]), [['retention.ms', '1234']])
    const v0 = await c.call(C.DescribeConfigs[0], { resources: [{ resourceType: 2, resourceName: 'admin-t', configurationKeys: null }] })
    assert.ok((v0.results[0]?.configs.length ?? 0) > 3)

    const del = await c.call(C.DeleteTopics[6], { topics: [{ name: 'admin-t', topicId: '00000000-0000-0000-0000-000000000000' }, { name: 'never-was', topicId: '00000000-0000-0000-0000-000000000000' }], timeoutMs: 1000 })
    assert.deepEqual(del.responses.map((r) => r.errorCode), [KafkaError.NONE, KafkaError.UNKNOWN_TOPIC_OR_PARTITION])
    assert.equal(ts.broker.hasTopic('admin-t'), false)
    c.close()
  })
})

describe('produce and fetch', () => {
  test('fetched batches are the produced bytes, with only the base offset assigned', async () => {
    await createTopic('rt', 1)
    const c = await ts.connect()
    const sent = [batchOf(['a', 'b', 'c']), batchOf(['x'.repeat(4000)]), batchOf(['d'], { compression: 'gzip' })]
    let next = 0
    for (const b of sent) {
      const res = await c.call(C.Produce[9], produceV9('rt', 0, Buffer.from(b)))
      const p = res.responses[0]?.partitionResponses[0]
      assert.equal(p?.errorCode, KafkaError.NONE, p?.errorMessage ?? '')
      assert.equal(p?.baseOffset, BigInt(next))
      next += decodeRecordBatch(b).records.length
    }
    for (const version of [4, 11, 12] as const) {
      const res = await c.call(C.Fetch[version], fetchV12('rt', 0, 0))
      const part = res.responses[0]?.partitions[0]
      assert.equal(part?.errorCode, KafkaError.NONE)
      assert.equal(part?.highWatermark, BigInt(next))
      const expected: Buffer[] = []
      let offset = 0
      for (const b of sent) {
        const stored = Buffer.from(b)
        stored.writeBigInt64BE(BigInt(offset), BatchOffsets.baseOffset)
        offset += decodeRecordBatch(b).records.length
        expected.push(stored)
      }
      assert.ok(part?.records?.equals(Buffer.concat(expected)), `fetch v${version} returns the stored bytes`)
    }
    // A fetch from the middle of a batch starts with that whole batch.
    const mid = await c.call(C.Fetch[12], fetchV12('rt', 0, 1))
    assert.equal(mid.responses[0]?.partitions[0]?.records?.readBigInt64BE(0), 0n)
    c.close()
  })

  test('a fetch naming the topic by its id (as @platformatic/kafka 1.x does at v12) reads that topic', async () => {
    await createTopic('by-id', 1)
    const c = await ts.connect()
    await c.call(C.Produce[9], produceV9('by-id', 0, batchOf(['via id'])))
    const id = ts.broker.describeTopic('by-id').id
    const res = await c.call(C.Fetch[12], fetchV12(id, 0, 0))
    assert.equal(res.responses[0]?.topic, id)
    const records = res.responses[0]?.partitions[0]?.records
    assert.equal(decodeRecordBatch(records ?? Buffer.alloc(0)).records[0]?.value?.toString(), 'via id')
    c.close()
  })

  test('bad partitions and offsets are per-partition errors', async () => {
    await createTopic('errs', 1)
    const c = await ts.connect()
    const produce = await c.call(C.Produce[3], { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'errs', partitionData: [{ index: 7, records: batchOf(['a']) }] }] })
    assert.equal(produce.responses[0]?.partitionResponses[0]?.errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION)
    const fetch = await c.call(C.Fetch[12], fetchV12('errs', 0, 5))
    assert.equal(fetch.responses[0]?.partitions[0]?.errorCode, KafkaError.OFFSET_OUT_OF_RANGE)
    const unknown = await c.call(C.Fetch[12], fetchV12('no-such-topic', 0, 0))
    assert.equal(unknown.responses[0]?.partitions[0]?.errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION)
    c.close()
  })

  test('acks=0 gets no response; the next request is answered and the data arrives', async () => {
    await createTopic('acks0', 1)
    const c = await ts.connect()
    c.send(C.Produce[9], produceV9('acks0', 0, batchOf(['fire', 'forget']), 0))
    const res = await c.call(C.ApiVersions[3], { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    assert.equal(res.errorCode, KafkaError.NONE)
    const fetched = await c.call(C.Fetch[12], fetchV12('acks0', 0, 0, { maxWaitMs: 20_000, minBytes: 1 }))
    const records = fetched.responses[0]?.partitions[0]?.records
    assert.deepEqual(decodeRecordBatch(records ?? Buffer.alloc(0)).records.map((r) => r.value?.toString()), ['fire', 'forget'])
    c.close()
  })

  test('ListOffsets: earliest, latest, by timestamp, and v0 old-style offsets', async () => {
    await createTopic('lo', 1)
    const c = await ts.connect()
    await c.call(C.Produce[7], produceV9('lo', 0, batchOf(['a', 'b'], { timestamp: 1000 })))
    await c.call(C.Produce[7], produceV9('lo', 0, batchOf(['c'], { timestamp: 5000 })))
    const ask = (timestamp: bigint) => ({ replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] })
    const at = async (timestamp: bigint) => (await c.call(C.ListOffsets[7], ask(timestamp))).topics[0]?.partitions[0]
    assert.equal((await at(-2n))?.offset, 0n)
    assert.equal((await at(-1n))?.offset, 3n)
    assert.equal((await at(4000n))?.offset, 2n)
    assert.equal((await at(4000n))?.timestamp, 5000n)
    assert.equal((await at(9000n))?.offset, -1n)
    assert.equal((await at(-3n))?.offset, 2n)
    const v0 = await c.call(C.ListOffsets[0], { replicaId: -1, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }] })
    assert.deepEqual(v0.topics[0]?.partitions[0]?.oldStyleOffsets, [3n])
    c.close()
  })

  test('a long-poll fetch wakes on produce and does not hold up another connection', async () => {
    await createTopic('lp', 1)
    const consumer = await ts.connect()
    const other = await ts.connect()
    let fetched = false
    const waiting = consumer.call(C.Fetch[12], fetchV12('lp', 0, 0, { maxWaitMs: 20_000, minBytes: 1 })).then((r) => {
      fetched = true
      return r
    })
    const meta = await other.call(C.Metadata[12], { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'lp' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    assert.equal(meta.topics[0]?.errorCode, KafkaError.NONE)
    assert.equal(fetched, false, 'the other connection was answered while the fetch still waits')
    const produced = await other.call(C.Produce[9], produceV9('lp', 0, batchOf(['wake up'])))
    assert.equal(produced.responses[0]?.partitionResponses[0]?.errorCode, KafkaError.NONE)
    const res = await waiting
    const records = res.responses[0]?.partitions[0]?.records
    assert.ok(records !== null && records !== undefined && records.length > 0)
    assert.equal(decodeRecordBatch(records).records[0]?.value?.toString(), 'wake up')
    consumer.close()
    other.close()
  })

  test('frames split across many small writes, and several frames in one write, are read exactly', async () => {
    await createTopic('split', 1)
    const c = await ts.connect()
    const frames = [
      encodeRequest(C.ApiVersions[3], 901, 'split', { clientSoftwareName: 'split', clientSoftwareVersion: '1' }),
      encodeRequest(C.Produce[9], 902, 'split', produceV9('split', 0, batchOf(['y'.repeat(1500)]))),
      encodeRequest(C.Metadata[9], 903, null, { topics: [{ name: 'split' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
    ].map((w) => w.toBuffer())
    const all = Buffer.concat([...frames, ...frames.map((f) => Buffer.from(f))])
    // Rewrite the second copy's correlation ids so every response is told apart.
    let at = frames.reduce((n, f) => n + f.length, 0)
    for (const f of frames) {
      all.writeInt32BE(f.readInt32BE(8) + 10, at + 8)
      at += f.length
    }
    for (let pos = 0, step = 1; pos < all.length; pos += step, step = (step % 13) + 1) {
      c.sendRaw(all.subarray(pos, Math.min(all.length, pos + step)))
      await new Promise((r) => setImmediate(r))
    }
    const codecs = [C.ApiVersions[3], C.Produce[9], C.Metadata[9]] as const
    for (const [copy, base] of [[0, 900], [1, 910]] as const) {
      const versions = await c.receive(codecs[0], base + 1)
      assert.equal(versions.errorCode, KafkaError.NONE)
      const produced = await c.receive(codecs[1], base + 2)
      assert.equal(produced.responses[0]?.partitionResponses[0]?.baseOffset, BigInt(copy))
      const meta = await c.receive(codecs[2], base + 3)
      assert.equal(meta.topics[0]?.name, 'split')
    }
    c.close()
  })

  test('pipelined requests are answered in order, even behind a long poll', async () => {
    await createTopic('pipe', 1)
    const c = await ts.connect()
    const ids = [
      c.send(C.Fetch[12], fetchV12('pipe', 0, 0, { maxWaitMs: 300, minBytes: 1 })),
      c.send(C.ApiVersions[3], { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }),
      c.send(C.Produce[9], produceV9('pipe', 0, batchOf(['one']))),
      c.send(C.Metadata[9], { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
      c.send(C.Produce[9], produceV9('pipe', 0, batchOf(['two']))),
      c.send(C.ListOffsets[7], { replicaId: -1, isolationLevel: 0, topics: [{ name: 'pipe', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] }),
    ]
    const fetch = await c.receive(C.Fetch[12], ids[0] as number)
    assert.equal(fetch.responses[0]?.partitions[0]?.errorCode, KafkaError.NONE)
    await c.receive(C.ApiVersions[3], ids[1] as number)
    const p1 = await c.receive(C.Produce[9], ids[2] as number)
    await c.receive(C.Metadata[9], ids[3] as number)
    const p2 = await c.receive(C.Produce[9], ids[4] as number)
    assert.equal(p1.responses[0]?.partitionResponses[0]?.baseOffset, 0n)
    assert.equal(p2.responses[0]?.partitionResponses[0]?.baseOffset, 1n)
    const lo = await c.receive(C.ListOffsets[7], ids[5] as number)
    assert.equal(lo.topics[0]?.partitions[0]?.offset, 2n)
    c.close()
  })
})

describe('consumer groups', () => {
  test('find coordinator, join (member id required), sync, heartbeat, commit, fetch offsets, leave, describe, list, delete', async () => {
    await createTopic('gt', 2)
    const c = await ts.connect()
    const coord = await c.call(C.FindCoordinator[4], { keyType: 0, coordinatorKeys: ['g1'] })
    assert.deepEqual(coord.coordinators.map((x) => [x.key, x.nodeId, x.host, x.port, x.errorCode]), [['g1', 0, '127.0.0.1', ts.port, 0]])
    const coordV1 = await c.call(C.FindCoordinator[1], { key: 'g1', keyType: 1 })
    assert.equal(coordV1.port, ts.port)

    const subscription = encodeSubscription({ topics: ['gt'] })
    const join = (memberId: string) => ({
      groupId: 'g1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription }], reason: null,
    })
    const first = await c.call(C.JoinGroup[9], join(''))
    assert.equal(first.errorCode, KafkaError.MEMBER_ID_REQUIRED)
    assert.ok(first.memberId.length > 0)
    const joined = await c.call(C.JoinGroup[9], join(first.memberId))
    assert.equal(joined.errorCode, KafkaError.NONE)
    assert.equal(joined.leader, first.memberId)
    assert.equal(joined.protocolName, 'range')
    assert.equal(joined.members.length, 1)
    assert.ok(joined.members[0]?.metadata.equals(subscription))

    const assignment = encodeAssignment({ partitions: [{ topic: 'gt', partition: 0 }, { topic: 'gt', partition: 1 }] })
    const sync = await c.call(C.SyncGroup[5], {
      groupId: 'g1', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: joined.memberId, assignment }],
    })
    assert.equal(sync.errorCode, KafkaError.NONE)
    assert.ok(sync.assignment.equals(assignment))
    assert.equal(sync.protocolName, 'range')

    const hb = await c.call(C.Heartbeat[4], { groupId: 'g1', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null })
    assert.equal(hb.errorCode, KafkaError.NONE)
    const staleHb = await c.call(C.Heartbeat[0], { groupId: 'g1', generationId: joined.generationId + 5, memberId: joined.memberId })
    assert.equal(staleHb.errorCode, KafkaError.ILLEGAL_GENERATION)

    const commit = await c.call(C.OffsetCommit[8], {
      groupId: 'g1', generationIdOrMemberEpoch: joined.generationId, memberId: joined.memberId, groupInstanceId: null,
      topics: [{ name: 'gt', partitions: [
        { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: 'meta-0' },
        { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null },
        { partitionIndex: 9, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null },
      ] }],
    })
    assert.deepEqual(commit.topics[0]?.partitions.map((p) => p.errorCode), [KafkaError.NONE, KafkaError.NONE, KafkaError.UNKNOWN_TOPIC_OR_PARTITION])
    const outsider = await c.call(C.OffsetCommit[2], { groupId: 'g1', generationIdOrMemberEpoch: joined.generationId, memberId: 'someone-else', retentionTimeMs: -1n, topics: [{ name: 'gt', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] })
    assert.equal(outsider.topics[0]?.partitions[0]?.errorCode, KafkaError.UNKNOWN_MEMBER_ID)

    const fetched = await c.call(C.OffsetFetch[8], { groups: [{ groupId: 'g1', topics: [{ name: 'gt', partitionIndexes: [0, 1] }] }, { groupId: 'nobody', topics: null }], requireStable: true })
    assert.deepEqual(fetched.groups[0]?.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata]), [[0, 5n, 'meta-0'], [1, 7n, '']])
    assert.deepEqual(fetched.groups[1]?.topics, [])
    const old = await c.call(C.OffsetFetch[1], { groupId: 'g1', topics: [{ name: 'gt', partitionIndexes: [1, 0] }] })
    assert.deepEqual(old.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset]), [[1, 7n], [0, 5n]])
    const all = await c.call(C.OffsetFetch[7], { groupId: 'g1', topics: null, requireStable: false })
    assert.equal(all.topics[0]?.partitions.length, 2)

    const described = await c.call(C.DescribeGroups[5], { groups: ['g1'], includeAuthorizedOperations: false })
    assert.equal(described.groups[0]?.groupState, 'Stable')
    assert.equal(described.groups[0]?.members[0]?.memberId, joined.memberId)
    assert.equal(described.groups[0]?.members[0]?.clientId, 'raw-test')
    const listed = await c.call(C.ListGroups[4], { statesFilter: ['Stable'] })
    assert.ok(listed.groups.some((g) => g.groupId === 'g1'))

    const busy = await c.call(C.DeleteGroups[2], { groupsNames: ['g1'] })
    assert.equal(busy.results[0]?.errorCode, KafkaError.NON_EMPTY_GROUP)
    const leave = await c.call(C.LeaveGroup[5], { groupId: 'g1', members: [{ memberId: joined.memberId, groupInstanceId: null, reason: null }] })
    assert.equal(leave.members[0]?.errorCode, KafkaError.NONE)
    const leaveAgain = await c.call(C.LeaveGroup[0], { groupId: 'g1', memberId: joined.memberId })
    assert.equal(leaveAgain.errorCode, KafkaError.UNKNOWN_MEMBER_ID)
    const deleted = await c.call(C.DeleteGroups[2], { groupsNames: ['g1'] })
    assert.equal(deleted.results[0]?.errorCode, KafkaError.NONE)
    const gone = await c.call(C.OffsetFetch[8], { groups: [{ groupId: 'g1', topics: [{ name: 'gt', partitionIndexes: [0] }] }], requireStable: false })
    assert.equal(gone.groups[0]?.topics[0]?.partitions[0]?.committedOffset, -1n)
    c.close()
  })

  test('a standalone commit (generation -1) works for a group without members', async () => {
    await createTopic('solo', 1)
    const c = await ts.connect()
    const res = await c.call(C.OffsetCommit[0], { groupId: 'solo-g', topics: [{ name: 'solo', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedMetadata: null }] }] })
    assert.equal(res.topics[0]?.partitions[0]?.errorCode, KafkaError.NONE)
    const back = await c.call(C.OffsetFetch[0], { groupId: 'solo-g', topics: [{ name: 'solo', partitionIndexes: [0] }] })
    assert.equal(back.topics[0]?.partitions[0]?.committedOffset, 3n)
    c.close()
  })
})

describe('graceful close', () => {
  test('long polls are answered, parked joins get a retriable error, connections end and new ones are refused', async () => {
    const own = await startTestServer()
    await own.broker.createTopic('closing')
    const fetcher = await own.connect()
    const joiner = await own.connect()
    const join = (memberId: string) => ({
      groupId: 'gc', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 60_000, memberId, groupInstanceId: null, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: encodeSubscription({ topics: ['closing'] }) }], reason: null,
    })
    // A stable one-member group, then a second member whose join waits for the first to rejoin.
    const first = await joiner.call(C.JoinGroup[4], join(''))
    const joined = await joiner.call(C.JoinGroup[4], join(first.memberId))
    await joiner.call(C.SyncGroup[3], { groupId: 'gc', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, assignments: [] })
    const second = await fetcher.call(C.JoinGroup[4], join(''))
    const parked = await own.connect()
    const longPoll = fetcher.call(C.Fetch[12], fetchV12('closing', 0, 0, { maxWaitMs: 60_000, minBytes: 1 }))
    const parkedJoin = parked.call(C.JoinGroup[4], join(second.memberId))
    // The second join has arrived once the group is rebalancing; the fetch was sent before it.
    while (own.broker.groups.describeGroup('gc').state !== 'PreparingRebalance') await new Promise((r) => setImmediate(r))
    await joiner.call(C.ApiVersions[0], {})
    const port = own.port
    await own.server.close()
    const fetched = await longPoll
    assert.equal(fetched.responses[0]?.partitions[0]?.errorCode, KafkaError.NONE)
    assert.equal(fetched.responses[0]?.partitions[0]?.records?.length ?? 0, 0)
    assert.equal((await parkedJoin).errorCode, KafkaError.COORDINATOR_NOT_AVAILABLE)
    await Promise.all([fetcher.closed, parked.closed, joiner.closed])
    await assert.rejects(RawKafkaClient.connect(port))
    await own.close()
  })
})
