import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { type ConsumerBatch, type ProducerRecord } from '../types.ts'
import { checkProducerRecords, packBatch, unpackBatch } from './record-codec.ts'

const bytes = fc.oneof(fc.constant(null), fc.string(), fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)))

/** What a packed field reads back as: strings as their UTF-8 bytes. */
function asBytes(v: Buffer | string | null | undefined): Buffer | null | undefined {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v
}

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

test('bad records fail the send with INVALID_ARGUMENT before anything is encoded', () => {
  const bad: unknown[] = [
    [null],
    [{ value: 'no topic' }],
    [{ topic: 't', value: 42 }],
    [{ topic: 't', value: 'x', key: {} }],
    [{ topic: 't', value: 'x', partition: '1' }],
    [{ topic: 't', value: 'x', headers: [{ key: 1, value: 'v' }] }],
  ]
  for (const records of bad) assert.throws(() => checkProducerRecords(records as ProducerRecord[]), { code: 'INVALID_ARGUMENT' })
})

test('good records pass the check', () => {
  assert.doesNotThrow(() => checkProducerRecords([{ topic: 't', key: 'k', value: Buffer.from('v'), partition: 1, timestamp: 5, headers: [{ key: 'h', value: null }] }]))
})
