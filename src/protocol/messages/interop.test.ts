// Our codecs against two independent Kafka client implementations in node_modules: kafkajs
// (older, non-flexible versions) and @platformatic/kafka (flexible versions). Their request
// encoders feed our request decoders; our response encoders feed their response decoders.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import * as plt from '@platformatic/kafka'
import { Reader } from '../reader.ts'
import { Writer } from '../writer.ts'
import { type MessageCodec } from './codec.ts'
import { API_CODECS, decodeRequest } from './index.ts'

const load = createRequire(import.meta.url)

// The parts of kafkajs's internal protocol modules these tests use (it ships no types for them).
interface KjsRequest {
  apiKey: number
  apiVersion: number
  encode(): Promise<{ buffer: Buffer }>
}
interface KjsApi {
  request: KjsRequest
  response: { decode(body: Buffer): Promise<Record<string, unknown>> }
}
const kjsFrame = load('kafkajs/src/protocol/request.js') as (a: { correlationId: number; clientId: string; request: KjsRequest }) => Promise<{ buffer: Buffer }>

function kjs(api: string, version: number, args: object): KjsApi {
  const mod = load(`kafkajs/src/protocol/requests/${api}/index.js`) as { protocol(o: { version: number }): (a: object) => KjsApi }
  return mod.protocol({ version })(args)
}

async function kjsDecode(api: KjsApi, version: number): Promise<Record<string, unknown>> {
  const frame = (await kjsFrame({ correlationId: 11, clientId: 'kafkajs', request: api.request })).buffer
  const { header, body } = decodeRequest(frame)
  assert.equal(header.apiVersion, version)
  assert.equal(header.correlationId, 11)
  assert.equal(header.clientId, 'kafkajs')
  return body as Record<string, unknown>
}

function responseBody<Res>(codec: MessageCodec<unknown, Res>, value: Res): Buffer {
  const w = new Writer()
  codec.encodeResponse(w, value)
  return w.toBuffer()
}

function requestBody(codec: MessageCodec, frame: Buffer): unknown {
  const r = new Reader(frame)
  const body = codec.decodeRequest(r)
  r.expectEnd()
  return body
}

// kafkajs decodes strings of every version as nullable; our non-null strings stay strings.
const metadataResponse = {
  throttleTimeMs: 0,
  brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
  clusterId: 'tributary',
  controllerId: 1,
  topics: [
    {
      errorCode: 0,
      name: 'orders',
      topicId: '8b7c2b9a-0b4e-4c1e-9d59-2f0c7c0e0a11',
      isInternal: false,
      partitions: [
        { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] },
        { errorCode: 0, partitionIndex: 1, leaderId: 1, leaderEpoch: 3, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] },
      ],
      topicAuthorizedOperations: -2147483648,
    },
  ],
  clusterAuthorizedOperations: -2147483648,
}

describe('kafkajs requests decode, our responses decode in kafkajs', () => {
  for (let v = 0; v <= 6; v++) {
    test(`Metadata v${v}`, async () => {
      const api = kjs('metadata', v, { topics: ['orders', 'payments'], allowAutoTopicCreation: false })
      const body = await kjsDecode(api, v)
      const names = (body.topics as { name: string }[]).map((t) => t.name)
      assert.deepEqual(names, ['orders', 'payments'])
      if (v >= 4) assert.equal(body.allowAutoTopicCreation, false)

      const codec = API_CODECS.Metadata[v] as MessageCodec
      const decoded = await api.response.decode(responseBody(codec, metadataResponse))
      const brokers = decoded.brokers as { nodeId: number; host: string; port: number }[]
      assert.deepEqual(
        brokers.map((b) => [b.nodeId, b.host, b.port]),
        [[1, 'localhost', 9092]],
      )
      const topics = decoded.topicMetadata as { topic: string; partitionMetadata: { partitionId: number; leader: number; replicas: number[]; isr: number[] }[] }[]
      assert.equal(topics[0]?.topic, 'orders')
      assert.deepEqual(
        topics[0]?.partitionMetadata.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]),
        [
          [0, 1, [1], [1]],
          [1, 1, [1], [1]],
        ],
      )
      if (v >= 1) assert.equal(decoded.controllerId, 1)
      if (v >= 2) assert.equal(decoded.clusterId, 'tributary')
    })
  }

  for (let v = 0; v <= 2; v++) {
    test(`ApiVersions v${v}`, async () => {
      const api = kjs('apiVersions', v, {})
      assert.deepEqual(await kjsDecode(api, v), {})
      const codec = API_CODECS.ApiVersions[v] as MessageCodec
      const apiKeys = [
        { apiKey: 0, minVersion: 0, maxVersion: 11 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
      ]
      const decoded = await api.response.decode(responseBody(codec, { errorCode: 0, apiKeys, throttleTimeMs: 5 }))
      assert.deepEqual(decoded.apiVersions, apiKeys)
      assert.equal(decoded.errorCode, 0)
    })
  }

  test('Produce v3 carries kafkajs RecordBatch bytes untouched into a Fetch v4 response kafkajs reads back', async () => {
    const produce = kjs('produce', 3, {
      acks: -1,
      timeout: 30_000,
      compression: 0,
      topicData: [
        {
          topic: 'orders',
          partitions: [
            {
              partition: 2,
              messages: [
                { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000 },
                { key: 'k2', value: 'v2', timestamp: 1_700_000_000_001 },
              ],
            },
          ],
        },
      ],
    })
    const body = (await kjsDecode(produce, 3)) as {
      transactionalId: string | null
      acks: number
      timeoutMs: number
      topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[]
    }
    assert.equal(body.transactionalId, null)
    assert.equal(body.acks, -1)
    assert.equal(body.timeoutMs, 30_000)
    assert.equal(body.topicData[0]?.name, 'orders')
    const part = body.topicData[0]?.partitionData[0]
    assert.equal(part?.index, 2)
    const records = part?.records
    assert.ok(records)
    assert.equal(records.readInt8(16), 2, 'RecordBatch magic v2')
    assert.equal(records.readInt32BE(8) + 12, records.length, 'batchLength covers the rest')

    const fetch = kjs('fetch', 4, { maxWaitTime: 100, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic: 'orders', partitions: [{ partition: 2, fetchOffset: '0', maxBytes: 1 << 20 }] }] })
    const fetchBody = (await kjsDecode(fetch, 4)) as { replicaId: number; isolationLevel: number; topics: { topic: string; partitions: { partition: number; fetchOffset: bigint }[] }[] }
    assert.equal(fetchBody.replicaId, -1)
    assert.equal(fetchBody.isolationLevel, 1)
    assert.deepEqual(fetchBody.topics[0]?.partitions.map((p) => [p.partition, p.fetchOffset]), [[2, 0n]])

    const response = responseBody(API_CODECS.Fetch[4], {
      throttleTimeMs: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [{ partitionIndex: 2, errorCode: 0, highWatermark: 2n, lastStableOffset: 2n, abortedTransactions: [], records }],
        },
      ],
    })
    const decoded = await fetch.response.decode(response)
    const messages = (decoded.responses as { partitions: { messages: { key: Buffer; value: Buffer }[] }[] }[])[0]?.partitions[0]?.messages
    assert.deepEqual(
      messages?.map((m) => [m.key.toString(), m.value.toString()]),
      [
        ['k1', 'v1'],
        ['k2', 'v2'],
      ],
    )
  })

  test('JoinGroup v5 and FindCoordinator v2', async () => {
    const join = kjs('joinGroup', 5, {
      groupId: 'g1',
      sessionTimeout: 10_000,
      rebalanceTimeout: 60_000,
      memberId: '',
      groupInstanceId: 'static-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }],
    })
    const body = await kjsDecode(join, 5)
    assert.deepEqual(body, {
      groupId: 'g1',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 60_000,
      memberId: '',
      groupInstanceId: 'static-1',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }],
    })

    const find = kjs('findCoordinator', 2, { groupId: 'g1', coordinatorType: 1 })
    assert.deepEqual(await kjsDecode(find, 2), { key: 'g1', keyType: 1 })
    const decoded = await find.response.decode(
      responseBody(API_CODECS.FindCoordinator[2], { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 1, host: 'h', port: 9092 }),
    )
    assert.deepEqual(decoded.coordinator, { nodeId: 1, host: 'h', port: 9092 })
  })
})

describe('@platformatic/kafka requests decode, our responses decode in @platformatic/kafka', () => {
  test('ApiVersions v3', () => {
    const body = requestBody(API_CODECS.ApiVersions[3], plt.apiVersionsV3.createRequest('plt', '1.35.0').buffer)
    assert.deepEqual(body, { clientSoftwareName: 'plt', clientSoftwareVersion: '1.35.0' })
    const response = responseBody(API_CODECS.ApiVersions[3], {
      errorCode: 0,
      apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 12 }],
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: 3n,
    })
    const parsed = plt.apiVersionsV3.parseResponse(1, 18, 3, plt.Reader.from(response))
    assert.deepEqual(
      parsed.apiKeys.map((a) => [a.apiKey, a.minVersion, a.maxVersion]),
      [[3, 0, 12]],
    )
  })

  test('Metadata v12', () => {
    const body = requestBody(API_CODECS.Metadata[12], plt.metadataV12.createRequest(['orders'], true, false).buffer)
    assert.deepEqual(body, {
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'orders' }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    })
    const { clusterAuthorizedOperations: _unused, ...v12 } = metadataResponse
    const parsed = plt.metadataV12.parseResponse(1, 3, 12, plt.Reader.from(responseBody(API_CODECS.Metadata[12], v12)))
    assert.equal(parsed.clusterId, 'tributary')
    assert.equal(parsed.topics[0]?.name, 'orders')
    assert.equal(parsed.topics[0]?.topicId, '8b7c2b9a-0b4e-4c1e-9d59-2f0c7c0e0a11')
    assert.deepEqual(
      parsed.topics[0]?.partitions.map((p) => [p.partitionIndex, p.leaderId, p.leaderEpoch]),
      [
        [0, 1, 3],
        [1, 1, 3],
      ],
    )
  })

  test('Produce v11 records pass through into a Fetch v12 response', () => {
    const produce = plt.produceV11.createRequest(1, 5000, [
      { topic: 'orders', partition: 0, key: Buffer.from('k'), value: Buffer.from('hello'), timestamp: 1_700_000_000_000n },
    ])
    const body = requestBody(API_CODECS.Produce[11], produce.buffer) as { topicData: { name: string; partitionData: { index: number; records: Buffer }[] }[] }
    const records = body.topicData[0]?.partitionData[0]?.records
    assert.equal(body.topicData[0]?.name, 'orders')
    assert.ok(records)
    assert.equal(records.readInt8(16), 2)

    const response = responseBody(API_CODECS.Fetch[12], {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0, highWatermark: 1n, lastStableOffset: 1n, logStartOffset: 0n, abortedTransactions: null, preferredReadReplica: -1, records },
          ],
        },
      ],
    })
    const parsed = plt.fetchV12.parseResponse(1, 1, 12, plt.Reader.from(response))
    const batches = parsed.responses[0]?.partitions[0]?.records
    assert.ok(batches)
    assert.equal(batches[0]?.records[0]?.value?.toString(), 'hello')
  })

  test('request decoders for JoinGroup v9, OffsetCommit v8, ListOffsets v7, CreateTopics v7, InitProducerId v4, FindCoordinator v4', () => {
    assert.deepEqual(
      requestBody(
        API_CODECS.JoinGroup[9],
        plt.joinGroupV9.createRequest('g', 10_000, 30_000, 'm-1', null, 'consumer', [{ name: 'range', metadata: Buffer.from([9]) }], 'why').buffer,
      ),
      {
        groupId: 'g',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 30_000,
        memberId: 'm-1',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from([9]) }],
        reason: 'why',
      },
    )
    const commit = requestBody(
      API_CODECS.OffsetCommit[8],
      plt.offsetCommitV8.createRequest('g', 4, 'm-1', null, [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null }] }]).buffer,
    ) as { groupId: string; generationIdOrMemberEpoch: number; topics: { partitions: { committedOffset: bigint; committedMetadata: string | null }[] }[] }
    assert.equal(commit.groupId, 'g')
    assert.equal(commit.generationIdOrMemberEpoch, 4)
    assert.equal(commit.topics[0]?.partitions[0]?.committedOffset, 42n)
    assert.equal(commit.topics[0]?.partitions[0]?.committedMetadata, null)

    const list = requestBody(
      API_CODECS.ListOffsets[7],
      plt.listOffsetsV7.createRequest(-1, 1, [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }]).buffer,
    )
    assert.deepEqual(list, { replicaId: -1, isolationLevel: 1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }] })

    const create = requestBody(
      API_CODECS.CreateTopics[7],
      plt.createTopicsV7.createRequest([{ name: 't', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }], 5000, false).buffer,
    )
    assert.deepEqual(create, {
      topics: [{ name: 't', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }],
      timeoutMs: 5000,
      validateOnly: false,
    })

    assert.deepEqual(requestBody(API_CODECS.InitProducerId[4], plt.initProducerIdV4.createRequest('tx', 60_000, -1n, -1).buffer), {
      transactionalId: 'tx',
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    })
    assert.deepEqual(requestBody(API_CODECS.FindCoordinator[4], plt.findCoordinatorV4.createRequest(0, ['g1', 'g2']).buffer), {
      keyType: 0,
      coordinatorKeys: ['g1', 'g2'],
    })
  })
})
