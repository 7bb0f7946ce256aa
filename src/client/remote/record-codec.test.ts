import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { type ConsumerBatch, type ProducerRecord } from '../types.ts'
import { packBatch, packProducerRecords, unpackBatch, unpackProducerRecords } from './record-codec.ts'

const bytes = fc.oneof(fc.constant(null), fc.string(), fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)))

const producerRecord = fc.record(
  {
    topic: fc.constantFrom('a', 'b', 'ü-topic'),
    key: fc.oneof(bytes, fc.constant(undefined)),
    value: bytes,
    partition: fc.oneof(fc.integer({ min: -2, max: 9 }), fc.double()),
    timestamp: fc.oneof(fc.integer({ min: -1, max: 2 ** 45 }), fc.double()),
    headers: fc.array(fc.record({ key: fc.string(), value: bytes }, { noNullPrototype: true }), { maxLength: 3 }),
  },
  { requiredKeys: ['topic', 'value'] },
)

/** What the host's producer sees of a field: strings as their UTF-8 bytes. */
function asBytes(v: Buffer | string | null | undefined): Buffer | null | undefined {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v
}

test('producer records round-trip through one packed buffer (strings arrive as UTF-8 bytes)', () => {
  fc.assert(
    fc.property(fc.array(producerRecord, { maxLength: 20 }), (records) => {
      const packed = packProducerRecords(records as ProducerRecord[])
      const got = unpackProducerRecords({ topics: packed.topics, bytes: structuredClone(packed.bytes) })
      assert.equal(got.length, records.length)
      records.forEach((r, i) => {
        const g = got[i] as ProducerRecord
        assert.equal(g.topic, r.topic)
        assert.deepEqual(g.key, asBytes(r.key))
        assert.deepEqual(g.value, asBytes(r.value))
        assert.equal(g.partition, r.partition)
        assert.equal(g.timestamp, r.timestamp)
        assert.deepEqual(g.headers, r.headers?.map((h) => ({ key: h.key, value: asBytes(h.value) })))
      })
    }),
  )
})

test('consumer batches round-trip, keys and values as views of the transferred bytes', () => {
  const record = fc.record({
    offset: fc.nat(),
    timestamp: fc.integer({ min: -1, max: 2 ** 45 }),
    key: bytes.map(asBytes),
    value: bytes.map(asBytes),
    headers: fc.array(fc.record({ key: fc.string(), value: bytes.map(asBytes) }, { noNullPrototype: true }), { maxLength: 3 }),
  })
  fc.assert(
    fc.property(fc.array(record, { maxLength: 20 }), fc.nat(), (records, hw) => {
      const batch = { topic: 't', partition: 3, records: records.map((r) => ({ topic: 't', partition: 3, ...r })), highWatermark: hw, nextOffset: hw + 1 } as ConsumerBatch
      const wire = packBatch(batch)
      const got = unpackBatch(wire)
      assert.deepEqual(got, batch)
      for (const r of got.records) if (r.value !== null) assert.equal(r.value.buffer, wire.bytes)
    }),
  )
})

test('bad records fail the send with INVALID_ARGUMENT before anything is packed', () => {
  const bad: unknown[] = [
    [null],
    [{ value: 'no topic' }],
    [{ topic: 't', value: 42 }],
    [{ topic: 't', value: 'x', key: {} }],
    [{ topic: 't', value: 'x', partition: '1' }],
    [{ topic: 't', value: 'x', headers: [{ key: 1, value: 'v' }] }],
  ]
  for (const records of bad) assert.throws(() => packProducerRecords(records as ProducerRecord[]), { code: 'INVALID_ARGUMENT' })
})

test('a packed buffer is not from the shared pool, so transferring it moves nothing else', () => {
  const packed = packProducerRecords([{ topic: 't', value: 'small' }])
  assert.ok(packed.bytes.byteLength < 64, `${packed.bytes.byteLength} bytes: the buffer holds only this send`)
})
