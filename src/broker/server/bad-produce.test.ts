// A table of hostile or wrong produce requests, each with the error code Kafka clients expect and
// no change to any partition's log end or high watermark.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { KafkaError } from '../../protocol/error-codes.ts'
import { API_CODECS } from '../../protocol/messages/index.ts'
import { BatchOffsets, computeBatchCrc } from '../../protocol/records/batch-header.ts'
import { encodeControlBatch, ControlRecordType } from '../../protocol/records/control-record.ts'
import { encodeRecordBatch } from '../../protocol/records/record-batch.ts'
import { type RawKafkaClient, type TestServer, batchOf, startTestServer } from './server-test-support.ts'

const C = API_CODECS

/** Recomputes the CRC after a header field was changed, so only that change is wrong. */
function resealed(batch: Buffer): Buffer {
  batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), BatchOffsets.crc)
  return batch
}

function edit(batch: Buffer, fn: (b: Buffer) => void, reseal = true): Buffer {
  const b = Buffer.from(batch)
  fn(b)
  return reseal ? resealed(b) : b
}

interface Case {
  name: string
  topic?: string
  partition?: number
  records: () => Buffer | null
  acks?: number
  version?: 2 | 3 | 7 | 9 | 11
  expected: number
}

let ts: TestServer
let c: RawKafkaClient
let idem: { producerId: number; epoch: number }
let txn: { producerId: bigint; epoch: number }

before(async () => {
  ts = await startTestServer()
  await ts.broker.createTopic('bad', { partitions: 2, configs: { 'max.message.bytes': '10000' } })
  await ts.broker.createTopic('bad-compact', { configs: { 'cleanup.policy': 'compact' } })
  c = await ts.connect()
  const init = await c.call(C.InitProducerId[4], { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  idem = { producerId: Number(init.producerId), epoch: 3 }
  // Producer state to violate: epoch 3, sequences 0..4 written.
  for (const seq of [0, 2, 4]) {
    const res = await c.call(C.Produce[9], { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'bad', partitionData: [{ index: 0, records: batchOf(seq === 4 ? ['e'] : ['a', 'b'], { producerId: idem.producerId, producerEpoch: 3, baseSequence: seq }) }] }] })
    assert.equal(res.responses[0]?.partitionResponses[0]?.errorCode, KafkaError.NONE)
  }
  const t = await c.call(C.InitProducerId[4], { transactionalId: 'bad-tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  txn = { producerId: t.producerId, epoch: t.producerEpoch }
  const added = await c.call(C.AddPartitionsToTxn[3], { v3AndBelowTransactionalId: 'bad-tx', v3AndBelowProducerId: txn.producerId, v3AndBelowProducerEpoch: txn.epoch, v3AndBelowTopics: [{ name: 'bad', partitions: [0] }] })
  assert.equal(added.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode, KafkaError.NONE)
})
after(async () => {
  c.close()
  await ts.close()
})

const ok = (): Buffer => batchOf(['fine', 'records'])
const seqBatch = (values: string[], baseSequence: number, producerEpoch = 3): Buffer => batchOf(values, { producerId: idem.producerId, producerEpoch, baseSequence })
const txnBatch = (overrides: { producerId?: number; epoch?: number } = {}): Buffer =>
  batchOf(['t'], { producerId: overrides.producerId ?? Number(txn.producerId), producerEpoch: overrides.epoch ?? txn.epoch, baseSequence: 0, transactional: true })

const CASES: Case[] = [
  { name: 'CRC mismatch', records: () => edit(ok(), (b) => b.writeUInt32BE((b.readUInt32BE(BatchOffsets.crc) ^ 1) >>> 0, BatchOffsets.crc), false), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'a flipped bit in a record', records: () => edit(ok(), (b) => { b[b.length - 3] = (b[b.length - 3] as number) ^ 4 }, false), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'magic 0 (old message format)', records: () => edit(ok(), (b) => b.writeInt8(0, BatchOffsets.magic), false), expected: KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT },
  { name: 'magic 1 (old message format)', records: () => edit(ok(), (b) => b.writeInt8(1, BatchOffsets.magic), false), expected: KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT },
  { name: 'magic 3 (unknown)', records: () => edit(ok(), (b) => b.writeInt8(3, BatchOffsets.magic), false), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'produce v2 (old format request)', version: 2, records: () => edit(ok(), (b) => b.writeInt8(1, BatchOffsets.magic), false), expected: KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT },
  { name: 'record count 0', records: () => edit(ok(), (b) => b.writeInt32BE(0, BatchOffsets.recordsCount)), expected: KafkaError.INVALID_RECORD },
  { name: 'record count disagrees with lastOffsetDelta', records: () => edit(ok(), (b) => b.writeInt32BE(5, BatchOffsets.recordsCount)), expected: KafkaError.INVALID_RECORD },
  { name: 'negative record count', records: () => edit(ok(), (b) => b.writeInt32BE(-1, BatchOffsets.recordsCount)), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'negative lastOffsetDelta', records: () => edit(ok(), (b) => b.writeInt32BE(-5, BatchOffsets.lastOffsetDelta)), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'negative batch length', records: () => edit(ok(), (b) => b.writeInt32BE(-100, BatchOffsets.batchLength), false), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'batch length below a header', records: () => edit(ok(), (b) => b.writeInt32BE(20, BatchOffsets.batchLength), false), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'batch length beyond the bytes (truncated batch)', records: () => ok().subarray(0, 70), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'batch length larger than claimed bytes', records: () => edit(ok(), (b) => b.writeInt32BE(b.length + 1000, BatchOffsets.batchLength), false), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'trailing garbage after a valid batch', records: () => Buffer.concat([ok(), Buffer.from([1, 2, 3, 4, 5])]), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'a valid batch followed by a corrupt one (nothing is appended)', records: () => Buffer.concat([ok(), edit(ok(), (b) => b.writeUInt32BE(7, BatchOffsets.crc), false)]), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'fewer bytes than a batch header', records: () => Buffer.alloc(10, 0xff), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'empty records', records: () => Buffer.alloc(0), expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'null records', records: () => null, expected: KafkaError.CORRUPT_MESSAGE },
  { name: 'a control batch from a client', records: () => encodeControlBatch({ type: ControlRecordType.COMMIT, coordinatorEpoch: 0, producerId: 1, producerEpoch: 0, timestamp: 1 }), expected: KafkaError.INVALID_RECORD },
  { name: 'unknown compression codec 7', records: () => edit(ok(), (b) => b.writeInt16BE(7, BatchOffsets.attributes)), expected: KafkaError.UNSUPPORTED_COMPRESSION_TYPE },
  { name: 'batch above max.message.bytes', records: () => batchOf(['x'.repeat(20_000)]), expected: KafkaError.MESSAGE_TOO_LARGE },
  { name: 'a record without a key on a compacted topic', topic: 'bad-compact', records: () => encodeRecordBatch([{ value: 'no key' }], { timestamp: 1 }), expected: KafkaError.INVALID_RECORD },
  { name: 'unknown topic', topic: 'no-such-topic', records: ok, expected: KafkaError.UNKNOWN_TOPIC_OR_PARTITION },
  { name: 'unknown partition', partition: 7, records: ok, expected: KafkaError.UNKNOWN_TOPIC_OR_PARTITION },
  { name: 'negative partition', partition: -1, records: ok, expected: KafkaError.UNKNOWN_TOPIC_OR_PARTITION },
  { name: 'the offsets topic', topic: '__consumer_offsets', records: ok, expected: KafkaError.INVALID_TOPIC_EXCEPTION },
  { name: 'the transaction state topic', topic: '__transaction_state', records: ok, expected: KafkaError.INVALID_TOPIC_EXCEPTION },
  { name: 'invalid acks', acks: 2, records: ok, expected: KafkaError.INVALID_REQUIRED_ACKS },
  { name: 'stale producer epoch', records: () => seqBatch(['s'], 5, 2), expected: KafkaError.INVALID_PRODUCER_EPOCH },
  { name: 'sequence gap', records: () => seqBatch(['g'], 9), expected: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER },
  { name: 'sequence already used by another batch', records: () => seqBatch(['o'], 1), expected: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER },
  { name: 'new epoch not starting at sequence 0', records: () => seqBatch(['n'], 3, 4), expected: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER },
  { name: 'producer id without a sequence', records: () => seqBatch(['q'], -1), expected: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER },
  { name: 'a duplicate batch bundled with another', records: () => Buffer.concat([seqBatch(['e'], 4), seqBatch(['f'], 5)]), expected: KafkaError.DUPLICATE_SEQUENCE_NUMBER },
  { name: 'non-consecutive sequences in one request', records: () => Buffer.concat([seqBatch(['f'], 5), seqBatch(['h'], 8)]), expected: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER },
  { name: 'transactional batch without a producer id', records: () => edit(ok(), (b) => b.writeInt16BE(0x10, BatchOffsets.attributes)), expected: KafkaError.INVALID_RECORD },
  { name: 'transactional batch of a producer with no transaction', records: () => txnBatch({ producerId: idem.producerId, epoch: 3 }), expected: KafkaError.INVALID_PRODUCER_ID_MAPPING },
  { name: 'transactional batch to a partition not in the transaction', partition: 1, records: () => txnBatch(), expected: KafkaError.INVALID_TXN_STATE },
  { name: 'transactional batch with a wrong epoch', records: () => txnBatch({ epoch: txn.epoch + 1 }), expected: KafkaError.INVALID_PRODUCER_EPOCH },
]

function ends(): number[] {
  const out: number[] = []
  for (const name of ts.broker.listTopics({ includeInternal: true })) {
    for (const p of ts.broker.describeTopic(name).partitions) out.push(p.logEndOffset, p.highWatermark)
  }
  return out
}

test(`${CASES.length} bad produce requests each get their error code and change no log`, async () => {
  assert.ok(CASES.length >= 30)
  for (const k of CASES) {
    const before = ends()
    const body = {
      transactionalId: null,
      acks: k.acks ?? -1,
      timeoutMs: 1000,
      topicData: [{ name: k.topic ?? 'bad', partitionData: [{ index: k.partition ?? 0, records: k.records() }] }],
    }
    const res = await c.call(C.Produce[k.version ?? 9], body)
    const p = res.responses[0]?.partitionResponses[0]
    assert.equal(p?.errorCode, k.expected, `${k.name}: got ${p?.errorCode}`)
    assert.equal(p?.baseOffset, -1n, k.name)
    assert.deepEqual(ends(), before, `${k.name}: a log changed`)
  }
  // The producer whose rules were tested still works where it left off.
  const res = await c.call(C.Produce[9], { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'bad', partitionData: [{ index: 0, records: seqBatch(['next'], 5) }] }] })
  assert.equal(res.responses[0]?.partitionResponses[0]?.errorCode, KafkaError.NONE)
})

test('an acks=0 produce that fails closes the connection, as Kafka tells such producers', async () => {
  const conn = await ts.connect()
  const before = ends()
  conn.send(C.Produce[9], { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'bad', partitionData: [{ index: 0, records: Buffer.alloc(70, 1) }] }] })
  await conn.closed
  assert.deepEqual(ends(), before)
})
