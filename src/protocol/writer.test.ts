import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { Reader } from './reader.ts'
import { Writer } from './writer.ts'

const invalidArgument = (err: unknown): boolean => err instanceof TributaryError && err.code === ErrorCode.INVALID_ARGUMENT

describe('Writer', () => {
  test('chunks and the single buffer hold the same bytes, in order, whatever the chunk growth', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (parts, initial) => {
        const w = new Writer(initial)
        for (const p of parts) w.raw(p)
        const expected = Buffer.concat(parts)
        assert.equal(w.length, expected.length)
        assert.deepStrictEqual(Buffer.concat(w.toBuffers()), expected)
        assert.deepStrictEqual(w.toBuffer(), expected)
      }),
      { numRuns: 100 },
    )
  })

  test('large byte fields are linked in, not copied; small ones are copied', () => {
    const big = Buffer.alloc(4096, 7)
    const small = Buffer.from([1, 2, 3])
    const w = new Writer()
    w.int32(1)
    w.bytes(big)
    w.bytes(small)
    const chunks = w.toBuffers()
    assert.ok(chunks.includes(big), 'the big buffer itself is one of the chunks')
    assert.ok(!chunks.includes(small))
    const out = Buffer.concat(chunks)
    const r = new Reader(out)
    assert.equal(r.int32(), 1)
    assert.equal(r.bytes().compare(big), 0)
    assert.deepStrictEqual(r.bytes(), small)
  })

  test('a reserved int32 is filled in after the writer grew past its chunk', () => {
    const w = new Writer(8)
    const slot = w.reserveInt32()
    for (let i = 0; i < 50_000; i++) w.int16(i)
    w.fillInt32(slot, w.length - slot.after)
    const out = w.toBuffer()
    assert.equal(out.readInt32BE(0), 100_000)
    assert.equal(out.length, 100_004)
    assert.equal(out.readUInt16BE(4 + 2 * 49_999), 49_999)
  })

  test('UUIDs: any case in, lower case out; malformed strings are refused', () => {
    const w = new Writer()
    w.uuid('0123ABCD-4567-89ef-AbCd-0123456789ab')
    assert.equal(new Reader(w.toBuffer()).uuid(), '0123abcd-4567-89ef-abcd-0123456789ab')
    for (const bad of ['', '0123abcd456789efabcd0123456789ab', '0123abcd-4567-89ef-abcd-0123456789ag', '0123abcd-4567-89ef-abcd_0123456789ab']) {
      assert.throws(() => new Writer().uuid(bad), invalidArgument, bad)
    }
  })

  test('a string too long for an int16 length is refused rather than written corrupt', () => {
    const long = 'x'.repeat(0x8000)
    assert.throws(() => new Writer().string(long), invalidArgument)
    new Writer().string('x'.repeat(0x7fff))
    const w = new Writer()
    w.compactString(long)
    assert.equal(new Reader(w.toBuffer()).compactString(), long)
  })

  test('multi-byte UTF-8 lengths count bytes, not UTF-16 units', () => {
    const w = new Writer()
    w.string('é😀')
    const out = w.toBuffer()
    assert.equal(out.readInt16BE(0), 6)
    assert.equal(new Reader(out).string(), 'é😀')
  })
})
