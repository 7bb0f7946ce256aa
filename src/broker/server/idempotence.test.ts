// Idempotent produce over the wire: producer ids, duplicates answered with the original offsets,
// gaps and stale epochs refused with the log unchanged, and the state rebuilt from the log.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { KafkaError } from '../../protocol/error-codes.ts'
import { API_CODECS } from '../../protocol/messages/index.ts'
import { type EncodeBatchOptions } from '../../protocol/records/record-batch.ts'
import { SNAPSHOT_FILE } from '../producer-state/state-snapshot.ts'
import { type RawKafkaClient, type TestServer, batchOf, startTestServer } from './server-test-support.ts'

const C = API_CODECS
let ts: TestServer
before(async () => {
  ts = await startTestServer()
})
after(async () => {
  await ts.close()
})

async function initProducer(c: RawKafkaClient): Promise<{ producerId: number; epoch: number }> {
  const res = await c.call(C.InitProducerId[4], { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  assert.equal(res.errorCode, KafkaError.NONE)
  return { producerId: Number(res.producerId), epoch: res.producerEpoch }
}

async function produce(c: RawKafkaClient, topic: string, values: string[], options: EncodeBatchOptions) {
  const res = await c.call(C.Produce[9], { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batchOf(values, options) }] }] })
  const p = res.responses[0]?.partitionResponses[0]
  assert.ok(p !== undefined)
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) }
}

function end(topic: string): number {
  return ts.broker.describeTopic(topic).partitions[0]?.logEndOffset ?? -1
}

test('producer ids are distinct and survive a restart without reuse', async () => {
  const c = await ts.connect()
  const a = await initProducer(c)
  const b = await initProducer(c)
  assert.notEqual(a.producerId, b.producerId)
  await ts.restart()
  const c2 = await ts.connect()
  const d = await initProducer(c2)
  assert.ok(d.producerId > Math.max(a.producerId, b.producerId), `${d.producerId} after ${a.producerId}, ${b.producerId}`)
})

test('duplicates get the original offsets, gaps and stale epochs are refused, and the log does not change', async () => {
  await ts.broker.createTopic('idem')
  const c = await ts.connect()
  const { producerId } = await initProducer(c)
  const at = (baseSequence: number, producerEpoch = 0): EncodeBatchOptions => ({ producerId, producerEpoch, baseSequence })
  assert.deepEqual(await produce(c, 'idem', ['a', 'b', 'c'], at(0)), { errorCode: KafkaError.NONE, baseOffset: 0 })
  assert.deepEqual(await produce(c, 'idem', ['d'], at(3)), { errorCode: KafkaError.NONE, baseOffset: 3 })
  // The first batch again (a retry after a lost response): acknowledged, not appended.
  assert.deepEqual(await produce(c, 'idem', ['a', 'b', 'c'], at(0)), { errorCode: KafkaError.NONE, baseOffset: 0 })
  assert.equal(end('idem'), 4)
  const gap = await produce(c, 'idem', ['x'], at(9))
  assert.equal(gap.errorCode, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal(end('idem'), 4)
  // A new epoch starts at 0; the old epoch is fenced from then on.
  assert.equal((await produce(c, 'idem', ['x'], at(5, 1))).errorCode, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.deepEqual(await produce(c, 'idem', ['e'], at(0, 1)), { errorCode: KafkaError.NONE, baseOffset: 4 })
  assert.equal((await produce(c, 'idem', ['f'], at(4, 0))).errorCode, KafkaError.INVALID_PRODUCER_EPOCH)
  assert.equal(end('idem'), 5)
})

test('pipelined sequenced batches are appended in order', async () => {
  await ts.broker.createTopic('idem-pipe')
  const c = await ts.connect()
  const { producerId } = await initProducer(c)
  const ids = [0, 2, 4, 6, 8].map((seq) =>
    c.send(C.Produce[9], {
      transactionalId: null, acks: -1, timeoutMs: 5000,
      topicData: [{ name: 'idem-pipe', partitionData: [{ index: 0, records: batchOf([`${seq}`, `${seq + 1}`], { producerId, producerEpoch: 0, baseSequence: seq }) }] }],
    }),
  )
  const offsets = []
  for (const id of ids) {
    const res = await c.receive(C.Produce[9], id)
    assert.equal(res.responses[0]?.partitionResponses[0]?.errorCode, KafkaError.NONE)
    offsets.push(Number(res.responses[0]?.partitionResponses[0]?.baseOffset))
  }
  assert.deepEqual(offsets, [0, 2, 4, 6, 8])
})

test('after a restart the producer state is rebuilt from the log', async () => {
  await ts.broker.createTopic('idem-restart')
  const c = await ts.connect()
  const { producerId } = await initProducer(c)
  const at = (baseSequence: number): EncodeBatchOptions => ({ producerId, producerEpoch: 0, baseSequence })
  for (let i = 0; i < 7; i++) assert.equal((await produce(c, 'idem-restart', [`v${i}`], at(i))).errorCode, KafkaError.NONE)
  await ts.restart()
  const c2 = await ts.connect()
  // The last five batches are remembered as duplicates, with their offsets.
  assert.deepEqual(await produce(c2, 'idem-restart', ['v6'], at(6)), { errorCode: KafkaError.NONE, baseOffset: 6 })
  assert.deepEqual(await produce(c2, 'idem-restart', ['v2'], at(2)), { errorCode: KafkaError.NONE, baseOffset: 2 })
  assert.equal((await produce(c2, 'idem-restart', ['v1'], at(1))).errorCode, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal((await produce(c2, 'idem-restart', ['v9'], at(9))).errorCode, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.equal(end('idem-restart'), 7)
  assert.deepEqual(await produce(c2, 'idem-restart', ['v7'], at(7)), { errorCode: KafkaError.NONE, baseOffset: 7 })
})

test('a clean shutdown leaves a producer-state snapshot; the next start uses it and scans only what came after', async () => {
  await ts.broker.createTopic('idem-snap')
  const c = await ts.connect()
  const { producerId } = await initProducer(c)
  const at = (baseSequence: number): EncodeBatchOptions => ({ producerId, producerEpoch: 0, baseSequence })
  for (let i = 0; i < 3; i++) assert.equal((await produce(c, 'idem-snap', [`s${i}`], at(i))).errorCode, KafkaError.NONE)
  await ts.restart()
  const dir = path.join(ts.dataDir, 'logs', 'idem-snap-0')
  const snap = JSON.parse(fs.readFileSync(path.join(dir, SNAPSHOT_FILE), 'utf8')) as { offset: number; producers: [number][] }
  assert.equal(snap.offset, 3)
  assert.deepEqual(snap.producers.map((p) => p[0]), [producerId])
  // The snapshot is what the state starts from (read at first use): a producer only it knows is fenced.
  fs.writeFileSync(path.join(dir, SNAPSHOT_FILE), JSON.stringify({ ...snap, producers: [...snap.producers, [777_777, 5, 0, []]] }))
  const c2 = await ts.connect()
  assert.equal((await produce(c2, 'idem-snap', ['z'], { producerId: 777_777, producerEpoch: 4, baseSequence: 1 })).errorCode, KafkaError.INVALID_PRODUCER_EPOCH)
  assert.deepEqual(await produce(c2, 'idem-snap', ['s2'], at(2)), { errorCode: KafkaError.NONE, baseOffset: 2 })
  assert.deepEqual(await produce(c2, 'idem-snap', ['s3'], at(3)), { errorCode: KafkaError.NONE, baseOffset: 3 })
  // A snapshot that claims more than the log holds is ignored: the partition is scanned instead.
  await ts.restart()
  fs.writeFileSync(path.join(dir, SNAPSHOT_FILE), JSON.stringify({ ...snap, offset: 1000, producers: [] }))
  const c3 = await ts.connect()
  assert.deepEqual(await produce(c3, 'idem-snap', ['s3'], at(3)), { errorCode: KafkaError.NONE, baseOffset: 3 })
  assert.equal((await produce(c3, 'idem-snap', ['s9'], at(9))).errorCode, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER)
})
