import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { encodeRecordBatch } from '../../protocol/records/record-batch.ts'
import { openEmbedded } from '../embedded/index.ts'
import { type ConsumerRecord } from '../types.ts'
import { decodeFetched, decodeForResend, encodePartitionBatch, isEncodedBatchSink, isRawBatchSource, scanFetched } from './raw-batches.ts'

/** Batches at offsets 10..12, a control batch at 13, 14..15: as a fetch returns them, back to back. */
function fetched(): Buffer {
  return Buffer.concat([
    encodeRecordBatch(['a', 'b', 'c'].map((v) => ({ value: v })), { baseOffset: 10, timestamp: 1000 }),
    encodeRecordBatch([{ key: null, value: Buffer.from([0, 0, 0, 0]) }], { baseOffset: 13, control: true, timestamp: 1000 }),
    encodeRecordBatch(['d', 'e'].map((v) => ({ value: v })), { baseOffset: 14, timestamp: 1000 }),
  ])
}

test('decodeFetched drops records before the position and control records; nextOffset is past the last batch', () => {
  const batch = decodeFetched('t', 2, fetched(), 11, 99)
  assert.deepEqual(batch.records.map((r) => [r.offset, r.value?.toString()]), [[11, 'b'], [12, 'c'], [14, 'd'], [15, 'e']])
  assert.equal(batch.nextOffset, 16)
  assert.equal(batch.highWatermark, 99)
  assert.ok(batch.records.every((r) => r.topic === 't' && r.partition === 2))
})

test('scanFetched sees from the headers what decodeFetched finds', () => {
  const bytes = fetched()
  for (const position of [10, 12, 13, 15, 16]) {
    const scan = scanFetched(bytes, position)
    const batch = decodeFetched('t', 0, bytes, position, 0)
    assert.equal(scan.nextOffset, batch.nextOffset, `nextOffset from ${position}`)
    assert.equal(scan.hasRecords, batch.records.length > 0, `hasRecords from ${position}`)
  }
  const controlOnly = encodeRecordBatch([{ key: null, value: Buffer.from([0, 0, 0, 1]) }], { baseOffset: 3, control: true, timestamp: 1 })
  assert.deepEqual(scanFetched(controlOnly, 3), { nextOffset: 4, hasRecords: false })
  assert.deepEqual(scanFetched(Buffer.alloc(0), 7), { nextOffset: 7, hasRecords: false })
})

test('decodeForResend gives back the records an encoded batch holds, for their partition', () => {
  const records = [
    { topic: 't', key: 'k1', value: 'v1', timestamp: 5, headers: [{ key: 'h', value: 'x' }] },
    { topic: 't', key: null, value: null },
  ]
  const bytes = encodePartitionBatch(records, 'gzip', 77)
  const back = decodeForResend('t', 3, bytes)
  assert.deepEqual(
    back.map((r) => [r.topic, r.partition, r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp, r.headers?.map((h) => `${h.key}=${String(h.value)}`)]),
    [
      ['t', 3, 'k1', 'v1', 5, ['h=x']],
      ['t', 3, null, null, 77, []],
    ],
  )
  bytes.writeUInt8((bytes.at(-1) as number) ^ 1, bytes.length - 1)
  assert.throws(() => decodeForResend('t', 3, bytes), { code: 'CORRUPT_RECORD' })
})

test('the embedded consumer hands out the stored batches raw, with the positions batches() would have', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-raw-'))
  const { broker, client } = await openEmbedded({ dataDir })
  try {
    await client.admin().createTopics([{ name: 'raw', partitions: 1 }])
    const producer = client.producer()
    assert.ok(isEncodedBatchSink(producer))
    assert.equal(await producer.partitionCount('raw'), 1)
    for (let s = 0; s < 3; s++) await producer.send(Array.from({ length: 4 }, (_, i) => ({ topic: 'raw', partition: 0, value: `v${s * 4 + i}` })))
    // A batch encoded by the caller is appended as it is, at the next offsets.
    const meta = await producer.appendBatch('raw', 0, encodePartitionBatch([{ topic: 'raw', value: 'v12' }], 'none', 1))
    assert.deepEqual([meta.baseOffset, meta.lastOffset], [12, 12])
    await assert.rejects(producer.appendBatch('raw', 1, encodePartitionBatch([{ topic: 'raw', value: 'x' }], 'none', 1)), { code: 'UNKNOWN_PARTITION' })

    const consumer = client.consumer()
    assert.ok(isRawBatchSource(consumer))
    await consumer.assign([{ topic: 'raw', partition: 0 }])
    await consumer.seek({ topic: 'raw', partition: 0 }, 6)
    const seen: ConsumerRecord[] = []
    for await (const raw of consumer.rawBatches({ signal: AbortSignal.timeout(5000) })) {
      assert.ok(raw.position >= 6)
      assert.equal(raw.position, seen.length === 0 ? 6 : (seen.at(-1) as ConsumerRecord).offset + 1)
      const batch = decodeFetched(raw.topic, raw.partition, raw.bytes, raw.position, raw.highWatermark)
      assert.equal(batch.nextOffset, raw.nextOffset)
      seen.push(...batch.records)
      assert.equal(consumer.position({ topic: 'raw', partition: 0 }), raw.nextOffset, 'the position moved as the batch was handed out')
      if (raw.nextOffset >= 13) break
    }
    assert.deepEqual(seen.map((r) => r.value?.toString()), ['v6', 'v7', 'v8', 'v9', 'v10', 'v11', 'v12'])
  } finally {
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
})
