import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isTributaryError } from '../../util/errors.ts'
import { rowFormat } from './row-format.ts'

interface Bid {
  type: 'bid'
  auction: number
  channel: string
  ok: boolean
}
interface Person {
  type: 'person'
  id: number
  name: string
}

const events = rowFormat<Bid | Person>({
  tag: 'type',
  variants: {
    person: [
      ['id', 'number'],
      ['name', 'string'],
    ],
    bid: [
      ['auction', 'number'],
      ['channel', 'string'],
      ['ok', 'boolean'],
    ],
  },
})

const invalidRecord = (e: unknown): boolean => isTributaryError(e, 'INVALID_RECORD')

test('row format round-trips every variant, any number and any string', () => {
  const number = fc.double()
  const event = fc.oneof(
    fc.record({ type: fc.constant('bid' as const), auction: number, channel: fc.string({ unit: 'binary' }), ok: fc.boolean() }),
    fc.record({ type: fc.constant('person' as const), id: number, name: fc.string({ unit: 'grapheme' }) }),
  )
  fc.assert(
    fc.property(fc.array(event, { maxLength: 50 }), (list) => {
      // Serialized views stay valid while later values are written (the slab is never reused).
      const bytes = list.map((e) => events.serialize(e))
      const back = bytes.map((b) => events.deserialize(b))
      // Lone surrogates have no UTF-8 form: they come back as U+FFFD, as with Buffer.from.
      assert.deepEqual(back, list.map((e) => (e.type === 'bid' ? { ...e, channel: Buffer.from(e.channel).toString() } : { ...e })))
    }),
  )
})

test('row format: field order is the schema order, no names on the wire', () => {
  const f = rowFormat<{ a: number; s: string }>({
    fields: [
      ['a', 'number'],
      ['s', 'string'],
    ],
  })
  const b = f.serialize({ s: 'hé', a: 1.5 })
  // a, the length of s in UTF-16 units, the UTF-8 bytes of all strings, those bytes.
  const expected = Buffer.alloc(8 + 4 + 4 + 3)
  expected.writeDoubleLE(1.5, 0)
  expected.writeUInt32LE(2, 8)
  expected.writeUInt32LE(3, 12)
  expected.write('hé', 16)
  assert.deepEqual(Buffer.from(b), expected)
  assert.deepEqual(f.deserialize(b), { a: 1.5, s: 'hé' })
})

test('row format rejects short, long and unknown input with INVALID_RECORD', () => {
  const good = Buffer.from(events.serialize({ type: 'person', id: 7, name: 'Kate' }))
  assert.throws(() => events.deserialize(Buffer.alloc(0)), invalidRecord)
  assert.throws(() => events.deserialize(Buffer.from([9])), invalidRecord)
  for (let cut = 1; cut < good.length; cut++) assert.throws(() => events.deserialize(good.subarray(0, cut)), invalidRecord)
  assert.throws(() => events.deserialize(Buffer.concat([good, Buffer.from([0])])), invalidRecord)
  // Lengths larger than the record are refused before anything is read.
  const huge = Buffer.from(good)
  huge.writeUInt32LE(0xffffffff, 1 + 8)
  assert.throws(() => events.deserialize(huge), invalidRecord)
  const text = Buffer.from(good)
  text.writeUInt32LE(0xffffffff, 1 + 8 + 4)
  assert.throws(() => events.deserialize(text), invalidRecord)
  // String lengths that do not add up to the decoded text.
  const short = Buffer.from(good)
  short.writeUInt32LE(3, 1 + 8)
  assert.throws(() => events.deserialize(short), invalidRecord)
  const bool = Buffer.from(events.serialize({ type: 'bid', auction: 1, channel: '', ok: true }))
  bool[bool.length - 1] = 2
  assert.throws(() => events.deserialize(bool), invalidRecord)
})

test('row format refuses values that do not fit the schema', () => {
  assert.throws(() => events.serialize({ type: 'sale' } as unknown as Bid), invalidRecord)
  assert.throws(() => events.serialize({ type: 'bid', auction: '1', channel: 'x', ok: true } as unknown as Bid), invalidRecord)
  assert.throws(() => events.serialize({ type: 'person', id: 1 } as unknown as Person), invalidRecord)
  assert.throws(() => events.serialize(null as unknown as Bid), invalidRecord)
  assert.throws(() => rowFormat({ fields: [['a', 'date' as 'number']] }), (e) => isTributaryError(e, 'INVALID_CONFIG'))
  assert.throws(() => rowFormat({ tag: 'type', variants: { a: [['type', 'string']] } }), (e) => isTributaryError(e, 'INVALID_CONFIG'))
})
