// Transactions over the wire: commit and abort with read_committed fetches that see only committed
// data (and the aborted ranges), staged group offsets, fencing by epoch, and the timeout abort on a
// ManualClock.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ManualClock } from '../../util/clock.ts'
import { KafkaError } from '../../protocol/error-codes.ts'
import { API_CODECS } from '../../protocol/messages/index.ts'
import { decodeRecordBatch, forEachBatch } from '../../protocol/records/record-batch.ts'
import { type RawKafkaClient, type TestServer, batchOf, startTestServer } from './server-test-support.ts'

const C = API_CODECS
const READ_COMMITTED = 1

interface Producer {
  id: string
  producerId: bigint
  epoch: number
  seq: number
}

async function init(c: RawKafkaClient, id: string, timeoutMs = 60_000): Promise<Producer> {
  const res = await c.call(C.InitProducerId[4], { transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 })
  assert.equal(res.errorCode, KafkaError.NONE)
  return { id, producerId: res.producerId, epoch: res.producerEpoch, seq: 0 }
}

async function addPartition(c: RawKafkaClient, p: Producer, topic: string, partition = 0): Promise<number> {
  const res = await c.call(C.AddPartitionsToTxn[3], { v3AndBelowTransactionalId: p.id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.epoch, v3AndBelowTopics: [{ name: topic, partitions: [partition] }] })
  return res.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode ?? -999
}

async function produceTxn(c: RawKafkaClient, p: Producer, topic: string, values: string[], partition = 0): Promise<number> {
  const records = batchOf(values, { producerId: Number(p.producerId), producerEpoch: p.epoch, baseSequence: p.seq, transactional: true })
  const res = await c.call(C.Produce[9], { transactionalId: p.id, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] })
  const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? -999
  if (code === KafkaError.NONE) p.seq += values.length
  return code
}

async function endTxn(c: RawKafkaClient, p: Producer, committed: boolean, version: 0 | 3 = 3): Promise<number> {
  const res = await c.call(C.EndTxn[version], { transactionalId: p.id, producerId: p.producerId, producerEpoch: p.epoch, committed })
  return res.errorCode
}

async function fetchFrom(c: RawKafkaClient, topic: string, offset: number, isolationLevel: number) {
  const res = await c.call(C.Fetch[12], {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  })
  const p = res.responses[0]?.partitions[0]
  assert.ok(p !== undefined)
  const records = p.records ?? Buffer.alloc(0)
  const values: string[] = []
  let controls = 0
  forEachBatch(records, 0, records.length, (pos, size) => {
    const batch = decodeRecordBatch(records.subarray(pos, pos + size))
    if ((batch.header.attributes & 0x20) !== 0) controls++
    else for (const r of batch.records) values.push(r.value?.toString() ?? '')
  })
  return { values, controls, lso: Number(p.lastStableOffset), hw: Number(p.highWatermark), aborted: p.abortedTransactions?.map((a) => [Number(a.producerId), Number(a.firstOffset)]) ?? null }
}

describe('transactions', () => {
  let ts: TestServer
  before(async () => {
    ts = await startTestServer()
  })
  after(async () => {
    await ts.close()
  })

  test('committed data becomes visible to read_committed at the commit; aborted data is listed as aborted', async () => {
    await ts.broker.createTopic('tx-data')
    const c = await ts.connect()
    const p = await init(c, 'tx-1')
    assert.equal(await addPartition(c, p, 'tx-data'), KafkaError.NONE)
    assert.equal(await produceTxn(c, p, 'tx-data', ['c1', 'c2']), KafkaError.NONE)
    // Open transaction: read_uncommitted sees it, read_committed stops at its first offset.
    assert.deepEqual((await fetchFrom(c, 'tx-data', 0, 0)).values, ['c1', 'c2'])
    const open = await fetchFrom(c, 'tx-data', 0, READ_COMMITTED)
    assert.deepEqual([open.values, open.lso, open.hw], [[], 0, 2])
    assert.equal(await endTxn(c, p, true), KafkaError.NONE)
    const committed = await fetchFrom(c, 'tx-data', 0, READ_COMMITTED)
    assert.deepEqual([committed.values, committed.controls, committed.lso, committed.hw, committed.aborted], [['c1', 'c2'], 1, 3, 3, []])

    assert.equal(await addPartition(c, p, 'tx-data'), KafkaError.NONE)
    assert.equal(await produceTxn(c, p, 'tx-data', ['a1']), KafkaError.NONE)
    assert.equal(await endTxn(c, p, false), KafkaError.NONE)
    const aborted = await fetchFrom(c, 'tx-data', 3, READ_COMMITTED)
    assert.deepEqual(aborted.aborted, [[Number(p.producerId), 3]])
    assert.equal(aborted.lso, 5)
    // Clients drop the aborted batch by that list; the bytes are still there.
    assert.deepEqual(aborted.values, ['a1'])
    assert.equal(aborted.controls, 1)
    // A fetch past the aborted range does not list it.
    assert.deepEqual((await fetchFrom(c, 'tx-data', 5, READ_COMMITTED)).aborted, [])
  })

  test('a read_committed long poll waits for the commit; ListOffsets read_committed stops at the open transaction', async () => {
    await ts.broker.createTopic('tx-wait')
    const c = await ts.connect()
    const consumer = await ts.connect()
    const p = await init(c, 'tx-wait')
    assert.equal(await addPartition(c, p, 'tx-wait'), KafkaError.NONE)
    assert.equal(await produceTxn(c, p, 'tx-wait', ['pending']), KafkaError.NONE)
    let answered = false
    const waiting = consumer.call(C.Fetch[12], {
      replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: READ_COMMITTED, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'tx-wait', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    }).then((r) => {
      answered = true
      return r
    })
    const latest = async (isolationLevel: number) =>
      Number((await c.call(C.ListOffsets[7], { replicaId: -1, isolationLevel, topics: [{ name: 'tx-wait', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics[0]?.partitions[0]?.offset)
    assert.equal(await latest(READ_COMMITTED), 0)
    assert.equal(await latest(0), 1)
    assert.equal(answered, false, 'only uncommitted data is there: the fetch keeps waiting')
    assert.equal(await endTxn(c, p, true), KafkaError.NONE)
    const res = await waiting
    const records = res.responses[0]?.partitions[0]?.records ?? Buffer.alloc(0)
    assert.equal(decodeRecordBatch(records).records[0]?.value?.toString(), 'pending')
    assert.equal(await latest(READ_COMMITTED), 2)
  })

  test('transactional produce only to added partitions, only by the current epoch', async () => {
    await ts.broker.createTopic('tx-guard', { partitions: 2 })
    const c = await ts.connect()
    const p = await init(c, 'tx-guard')
    assert.equal(await produceTxn(c, p, 'tx-guard', ['x']), KafkaError.INVALID_TXN_STATE)
    assert.equal(await addPartition(c, p, 'tx-guard', 0), KafkaError.NONE)
    assert.equal(await produceTxn(c, p, 'tx-guard', ['x'], 1), KafkaError.INVALID_TXN_STATE)
    assert.equal(await addPartition(c, p, 'no-such-topic', 0), KafkaError.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(await produceTxn(c, p, 'tx-guard', ['ok'], 0), KafkaError.NONE)
    assert.equal(ts.broker.describeTopic('tx-guard').partitions[1]?.logEndOffset, 0)
    assert.equal(await endTxn(c, p, true), KafkaError.NONE)
  })

  test('a new InitProducerId fences the old epoch and aborts its open transaction', async () => {
    await ts.broker.createTopic('tx-fence')
    const c = await ts.connect()
    const old = await init(c, 'tx-fence')
    assert.equal(await addPartition(c, old, 'tx-fence'), KafkaError.NONE)
    assert.equal(await produceTxn(c, old, 'tx-fence', ['zombie']), KafkaError.NONE)
    const fresh = await init(c, 'tx-fence')
    assert.equal(fresh.producerId, old.producerId)
    assert.ok(fresh.epoch > old.epoch)
    // The zombie's open transaction was aborted; its data never reaches read_committed.
    const view = await fetchFrom(c, 'tx-fence', 0, READ_COMMITTED)
    assert.deepEqual(view.aborted, [[Number(old.producerId), 0]])
    assert.equal(view.lso, view.hw)
    assert.equal(await endTxn(c, old, true), KafkaError.PRODUCER_FENCED)
    assert.equal(await endTxn(c, old, true, 0), KafkaError.INVALID_PRODUCER_EPOCH)
    assert.equal(await addPartition(c, old, 'tx-fence'), KafkaError.PRODUCER_FENCED)
    old.seq = 1
    assert.equal(await produceTxn(c, old, 'tx-fence', ['late']), KafkaError.INVALID_PRODUCER_EPOCH)
    // The new producer works, its sequence starting at 0.
    assert.equal(await addPartition(c, fresh, 'tx-fence'), KafkaError.NONE)
    assert.equal(await produceTxn(c, fresh, 'tx-fence', ['fresh']), KafkaError.NONE)
    assert.equal(await endTxn(c, fresh, true), KafkaError.NONE)
    assert.deepEqual((await fetchFrom(c, 'tx-fence', 0, READ_COMMITTED)).values, ['zombie', 'fresh'])
  })

  test('offsets staged by TxnOffsetCommit apply at commit and vanish at abort; require_stable sees them pending', async () => {
    await ts.broker.createTopic('tx-in')
    await ts.broker.createTopic('tx-out')
    const c = await ts.connect()
    const p = await init(c, 'tx-eos')
    const commitOffset = async (offset: bigint) => {
      const res = await c.call(C.TxnOffsetCommit[3], {
        transactionalId: p.id, groupId: 'eos-group', producerId: p.producerId, producerEpoch: p.epoch, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'tx-in', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'eos' }] }],
      })
      return res.topics[0]?.partitions[0]?.errorCode
    }
    const fetched = async (requireStable: boolean) => {
      const res = await c.call(C.OffsetFetch[8], { groups: [{ groupId: 'eos-group', topics: [{ name: 'tx-in', partitionIndexes: [0] }] }], requireStable })
      const part = res.groups[0]?.topics[0]?.partitions[0]
      return [Number(part?.committedOffset), part?.errorCode]
    }
    assert.equal(await commitOffset(10n), KafkaError.INVALID_TXN_STATE, 'the group must be added first')
    const added = await c.call(C.AddOffsetsToTxn[3], { transactionalId: p.id, producerId: p.producerId, producerEpoch: p.epoch, groupId: 'eos-group' })
    assert.equal(added.errorCode, KafkaError.NONE)
    assert.equal(await addPartition(c, p, 'tx-out'), KafkaError.NONE)
    assert.equal(await produceTxn(c, p, 'tx-out', ['out']), KafkaError.NONE)
    assert.equal(await commitOffset(10n), KafkaError.NONE)
    assert.deepEqual(await fetched(false), [-1, KafkaError.NONE])
    assert.deepEqual(await fetched(true), [-1, KafkaError.UNSTABLE_OFFSET_COMMIT])
    assert.equal(await endTxn(c, p, true), KafkaError.NONE)
    assert.deepEqual(await fetched(true), [10, KafkaError.NONE])

    assert.equal((await c.call(C.AddOffsetsToTxn[0], { transactionalId: p.id, producerId: p.producerId, producerEpoch: p.epoch, groupId: 'eos-group' })).errorCode, KafkaError.NONE)
    assert.equal(await commitOffset(20n), KafkaError.NONE)
    assert.equal(await endTxn(c, p, false), KafkaError.NONE)
    assert.deepEqual(await fetched(true), [10, KafkaError.NONE])
  })

  test('transaction state survives a restart: the same producer id comes back with a higher epoch', async () => {
    const c = await ts.connect()
    const before = await init(c, 'tx-durable')
    await ts.restart()
    const c2 = await ts.connect()
    const after = await init(c2, 'tx-durable')
    assert.equal(after.producerId, before.producerId)
    assert.equal(after.epoch, before.epoch + 1)
  })

  test('bad transaction timeouts and unknown transactional ids are refused', async () => {
    const c = await ts.connect()
    const res = await c.call(C.InitProducerId[1], { transactionalId: 'tx-bad', transactionTimeoutMs: 24 * 3600 * 1000 })
    assert.equal(res.errorCode, KafkaError.INVALID_TRANSACTION_TIMEOUT)
    const ghost: Producer = { id: 'never-initialized', producerId: 12345n, epoch: 0, seq: 0 }
    assert.equal(await endTxn(c, ghost, true), KafkaError.INVALID_PRODUCER_ID_MAPPING)
    assert.equal(await addPartition(c, ghost, 'tx-data'), KafkaError.INVALID_PRODUCER_ID_MAPPING)
  })
})

test('an open transaction is aborted when its timeout passes on the clock, fencing its producer', async () => {
  const clock = new ManualClock(1_700_000_000_000)
  const ts = await startTestServer({ brokerOptions: { clock }, server: { clock } })
  try {
    await ts.broker.createTopic('tx-timeout')
    const c = await ts.connect()
    const p = await init(c, 'tx-slow', 10_000)
    assert.equal(await addPartition(c, p, 'tx-timeout'), KafkaError.NONE)
    assert.equal(await produceTxn(c, p, 'tx-timeout', ['late']), KafkaError.NONE)
    clock.advance(9_999)
    assert.equal((await fetchFrom(c, 'tx-timeout', 0, READ_COMMITTED)).lso, 0, 'still open just before the timeout')
    clock.advance(1)
    // Requests of one transactional id run one after the other, so this runs after the abort.
    assert.equal(await endTxn(c, p, true), KafkaError.PRODUCER_FENCED)
    const view = await fetchFrom(c, 'tx-timeout', 0, READ_COMMITTED)
    assert.deepEqual([view.aborted, view.lso, view.hw, view.controls], [[[Number(p.producerId), 0]], 2, 2, 1])
    // KIP-360: the producer may recover its id with the epoch it had.
    const recovered = await c.call(C.InitProducerId[4], { transactionalId: p.id, transactionTimeoutMs: 10_000, producerId: p.producerId, producerEpoch: p.epoch })
    assert.equal(recovered.errorCode, KafkaError.NONE)
    assert.equal(recovered.producerId, p.producerId)
    assert.ok(recovered.producerEpoch > p.epoch + 1)
  } finally {
    await ts.close()
  }
})
