import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { Reader } from './reader.ts'
import { Writer } from './writer.ts'

function protocolError(fn: () => unknown): TributaryError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof TributaryError, `expected a TributaryError, got ${String(err)}`)
    assert.equal(err.code, ErrorCode.PROTOCOL_ERROR)
    return err
  }
  assert.fail('expected a PROTOCOL_ERROR')
}

const reader = (...bytes: number[]): Reader => new Reader(Buffer.from(bytes))

// One primitive of each kind, written then read back in sequence.
type Op =
  | { k: 'bool'; v: boolean }
  | { k: 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'unsignedVarInt' | 'varInt' | 'float64'; v: number }
  | { k: 'int64' | 'varLong' | 'unsignedVarLong'; v: bigint }
  | { k: 'uuid' | 'string' | 'compactString'; v: string }
  | { k: 'nullableString' | 'compactNullableString'; v: string | null }
  | { k: 'bytes' | 'compactBytes'; v: Buffer }
  | { k: 'nullableBytes' | 'compactNullableBytes'; v: Buffer | null }

const bytesArb = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a))
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('bool' as const), v: fc.boolean() }),
  fc.record({ k: fc.constant('int8' as const), v: fc.integer({ min: -128, max: 127 }) }),
  fc.record({ k: fc.constant('int16' as const), v: fc.integer({ min: -32768, max: 32767 }) }),
  fc.record({ k: fc.constant('uint16' as const), v: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ k: fc.constant('int32' as const), v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
  fc.record({ k: fc.constant('uint32' as const), v: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
  fc.record({ k: fc.constant('unsignedVarInt' as const), v: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
  fc.record({ k: fc.constant('varInt' as const), v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
  fc.record({ k: fc.constant('float64' as const), v: fc.double() }),
  fc.record({ k: fc.constant('int64' as const), v: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
  fc.record({ k: fc.constant('varLong' as const), v: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
  fc.record({ k: fc.constant('unsignedVarLong' as const), v: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ k: fc.constant('uuid' as const), v: fc.uuid() }),
  fc.record({ k: fc.constantFrom('string' as const, 'compactString' as const), v: fc.string({ unit: 'binary', maxLength: 20 }) }),
  fc.record({
    k: fc.constantFrom('nullableString' as const, 'compactNullableString' as const),
    v: fc.option(fc.string({ unit: 'binary', maxLength: 20 }), { nil: null }),
  }),
  fc.record({ k: fc.constantFrom('bytes' as const, 'compactBytes' as const), v: bytesArb }),
  fc.record({ k: fc.constantFrom('nullableBytes' as const, 'compactNullableBytes' as const), v: fc.option(bytesArb, { nil: null }) }),
)

function write(w: Writer, op: Op): void {
  // Each writer method takes the value type its op carries.
  ;(w[op.k] as (v: unknown) => void).call(w, op.v)
}

function read(r: Reader, op: Op): unknown {
  return (r[op.k] as () => unknown).call(r)
}

describe('Reader', () => {
  test('reads back every primitive the Writer writes, and ends exactly at the end', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const w = new Writer(8)
        for (const op of ops) write(w, op)
        const buf = w.toBuffer()
        assert.equal(buf.length, w.length)
        const r = new Reader(buf)
        for (const op of ops) assert.deepStrictEqual(read(r, op), op.v, op.k)
        assert.equal(r.remaining(), 0)
        r.expectEnd()
      }),
      { numRuns: 300 },
    )
  })

  test('every strict prefix of a written sequence fails with PROTOCOL_ERROR, never RangeError', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 8 }), (ops) => {
        const w = new Writer()
        for (const op of ops) write(w, op)
        const buf = w.toBuffer()
        for (let cut = 0; cut < buf.length; cut++) {
          const r = new Reader(buf, 0, cut)
          protocolError(() => {
            for (const op of ops) read(r, op)
            r.expectEnd()
            // Ops that write nothing do not exist, so reading all of them needs the missing bytes.
          })
        }
      }),
      { numRuns: 100 },
    )
  })

  test('known varint encodings', () => {
    assert.equal(reader(0xac, 0x02).unsignedVarInt(), 300)
    assert.equal(reader(0xff, 0xff, 0xff, 0xff, 0x0f).unsignedVarInt(), 2 ** 32 - 1)
    assert.equal(reader(0x01).varInt(), -1)
    assert.equal(reader(0x02).varInt(), 1)
    assert.equal(reader(0xff, 0xff, 0xff, 0xff, 0x0f).varInt(), -(2 ** 31))
    assert.equal(reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).varLong(), -(2n ** 63n))
    assert.equal(reader(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).varLong(), 2n ** 63n - 1n)
  })

  test('overlong varints are rejected', () => {
    protocolError(() => reader(0x80, 0x80, 0x80, 0x80, 0x10).unsignedVarInt())
    protocolError(() => reader(0xff, 0xff, 0xff, 0xff, 0xff, 0x01).unsignedVarInt())
    protocolError(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02).unsignedVarLong())
    protocolError(() => reader(0x80, 0x80).unsignedVarInt())
  })

  test('bad lengths: negative, null where not allowed, longer than the input', () => {
    protocolError(() => reader(0xff, 0xfe).string())
    protocolError(() => reader(0xff, 0xff).string())
    assert.equal(reader(0xff, 0xff).nullableString(), null)
    protocolError(() => reader(0xff, 0xfe).nullableString())
    protocolError(() => reader(0x00, 0x05, 0x61).string())
    protocolError(() => reader(0x00).compactString())
    assert.equal(reader(0x00).compactNullableString(), null)
    protocolError(() => reader(0xff, 0xff, 0xff, 0xff).bytes())
    assert.equal(reader(0xff, 0xff, 0xff, 0xff).nullableBytes(), null)
    protocolError(() => reader(0xff, 0xff, 0xff, 0xfe).nullableBytes())
    protocolError(() => reader(0x7f, 0xff, 0xff, 0xff, 1, 2, 3).bytes())
    protocolError(() => reader(0x00).compactBytes())
    protocolError(() => reader(0xff, 0xff, 0xff, 0xff, 0x07).compactBytes())
  })

  test('a huge array count in a small input fails at the count, before any element is read', () => {
    const buf = Buffer.alloc(20)
    buf.writeInt32BE(0x7fffffff, 0)
    const err = protocolError(() => new Reader(buf).arrayLength(1))
    assert.equal(err.details.offset, 4, 'failed right after the count')
    buf.writeInt32BE(-2, 0)
    protocolError(() => new Reader(buf).nullableArrayLength(1))
    assert.equal(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff])).nullableArrayLength(1), -1)
    // 2^31 as a compact count (stored as count + 1).
    const compact = Buffer.from([0x81, 0x80, 0x80, 0x80, 0x08, ...new Array<number>(15).fill(0)])
    const err2 = protocolError(() => new Reader(compact).compactArrayLength(1))
    assert.equal(err2.details.offset, 5)
    // Element size counts: 5 int32s do not fit in 16 bytes.
    protocolError(() => new Reader(Buffer.from([0, 0, 0, 5, ...new Array<number>(16).fill(0)])).arrayLength(4))
    assert.equal(new Reader(Buffer.from([0, 0, 0, 4, ...new Array<number>(16).fill(0)])).arrayLength(4), 4)
  })

  test('a tagged field value cannot be read past its declared size, and must be read exactly', () => {
    // size 2, then 4 more bytes outside the tagged value
    const r = reader(0x02, 0x00, 0x07, 1, 2, 3, 4)
    const outer = r.narrow(r.unsignedVarInt())
    protocolError(() => r.int32())
    assert.equal(r.int16(), 7)
    r.widen(outer)
    assert.equal(r.int32(), 0x01020304)

    const r2 = reader(0x02, 0x00, 0x07)
    const outer2 = r2.narrow(r2.unsignedVarInt())
    r2.int8()
    protocolError(() => r2.widen(outer2))
    protocolError(() => reader(0x09, 0x00).narrow(9))
  })

  test('skipTaggedFields skips unknown tags and bounds their count', () => {
    const r = reader(0x02, 0x05, 0x01, 0xaa, 0x0a, 0x02, 0xbb, 0xcc, 0x2a)
    r.skipTaggedFields()
    assert.equal(r.int8(), 0x2a)
    // 100 tagged fields cannot fit in 3 bytes
    protocolError(() => reader(0x64, 0x00, 0x00, 0x00).skipTaggedFields())
  })

  test('bool: any non-zero byte is true, as in Kafka', () => {
    assert.equal(reader(0x02).bool(), true)
    assert.equal(reader(0x00).bool(), false)
  })

  test('a range outside the buffer is refused', () => {
    assert.throws(() => new Reader(Buffer.alloc(4), 2, 5), (err: unknown) => err instanceof TributaryError && err.code === ErrorCode.INVALID_ARGUMENT)
  })
})
