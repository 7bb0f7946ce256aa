import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from './errors.ts'
import { readVarInt, readVarLong, sizeOfVarInt, sizeOfVarLong, writeVarInt, writeVarLong } from './varint.ts'

const INT32_MIN = -0x80000000
const INT32_MAX = 0x7fffffff

function encodeInt(v: number): Buffer {
  const buf = Buffer.alloc(5)
  return buf.subarray(0, writeVarInt(buf, 0, v))
}

function encodeLong(v: number): Buffer {
  const buf = Buffer.alloc(10)
  return buf.subarray(0, writeVarLong(buf, 0, v))
}

function isCorrupt(err: unknown): boolean {
  return err instanceof TributaryError && err.code === ErrorCode.CORRUPT_RECORD
}

// Zig-zag maps 0, -1, 1, -2, ... to 0, 1, 2, 3, ...; then 7 bits per byte, least significant group first.
const INT_VECTORS: [number, number[]][] = [
  [0, [0x00]],
  [-1, [0x01]],
  [1, [0x02]],
  [63, [0x7e]],
  [-64, [0x7f]],
  [64, [0x80, 0x01]],
  [-65, [0x81, 0x01]],
  [8191, [0xfe, 0x7f]],
  [8192, [0x80, 0x80, 0x01]],
  [INT32_MAX, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
  [INT32_MIN, [0xff, 0xff, 0xff, 0xff, 0x0f]],
]

describe('varint (int32)', () => {
  for (const [value, bytes] of INT_VECTORS) {
    it(`encodes ${value} as ${Buffer.from(bytes).toString('hex')}`, () => {
      assert.deepEqual([...encodeInt(value)], bytes)
      assert.equal(sizeOfVarInt(value), bytes.length)
      const cursor = { pos: 0 }
      assert.equal(readVarInt(Buffer.from(bytes), cursor, bytes.length), value)
      assert.equal(cursor.pos, bytes.length)
    })
  }

  it('round-trips every int32, with sizeOfVarInt equal to the bytes written', () => {
    fc.assert(
      fc.property(fc.integer({ min: INT32_MIN, max: INT32_MAX }), fc.nat(8), (v, offset) => {
        const buf = Buffer.alloc(offset + 5, 0xaa)
        const end = writeVarInt(buf, offset, v)
        assert.equal(end - offset, sizeOfVarInt(v))
        const cursor = { pos: offset }
        assert.equal(readVarInt(buf, cursor, end), v)
        assert.equal(cursor.pos, end)
      }),
      { numRuns: 1000 },
    )
  })

  it('rejects every truncation with CORRUPT_RECORD and leaves the cursor where it was', () => {
    fc.assert(
      fc.property(fc.integer({ min: INT32_MIN, max: INT32_MAX }), (v) => {
        const bytes = encodeInt(v)
        for (let cut = 0; cut < bytes.length; cut++) {
          const cursor = { pos: 0 }
          assert.throws(() => readVarInt(bytes, cursor, cut), isCorrupt)
          assert.equal(cursor.pos, 0)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('never reads past the given end even when the buffer continues', () => {
    const buf = Buffer.from([0x80, 0x80, 0x01])
    assert.throws(() => readVarInt(buf, { pos: 0 }, 2), isCorrupt)
  })

  it('rejects varints longer than 5 bytes or with bits beyond 32', () => {
    assert.throws(() => readVarInt(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f]), { pos: 0 }, 5), isCorrupt)
    assert.throws(() => readVarInt(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), { pos: 0 }, 6), isCorrupt)
  })
})

describe('varlong', () => {
  const LONG_VECTORS: [number, number[]][] = [
    [0, [0x00]],
    [-1, [0x01]],
    [2 ** 31, [0x80, 0x80, 0x80, 0x80, 0x10]],
    [-(2 ** 31) - 1, [0x81, 0x80, 0x80, 0x80, 0x10]],
    // A millisecond timestamp (2023-11-14T22:13:20Z). These encodings were computed independently with
    // Python's arbitrary-precision integers: ((v << 1) ^ (v >> 63)) then 7-bit groups.
    [1_700_000_000_000, [0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62]],
    [Number.MAX_SAFE_INTEGER, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
    [Number.MIN_SAFE_INTEGER, [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
  ]
  for (const [value, bytes] of LONG_VECTORS) {
    it(`encodes ${value} as ${Buffer.from(bytes).toString('hex')}`, () => {
      assert.deepEqual([...encodeLong(value)], bytes)
      assert.equal(sizeOfVarLong(value), bytes.length)
      const cursor = { pos: 0 }
      assert.equal(readVarLong(Buffer.from(bytes), cursor, bytes.length), value)
      assert.equal(cursor.pos, bytes.length)
    })
  }

  it('round-trips every safe integer, with sizeOfVarLong equal to the bytes written', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -(2 ** 35), max: 2 ** 35 })), (v) => {
        const bytes = encodeLong(v)
        assert.equal(bytes.length, sizeOfVarLong(v))
        const cursor = { pos: 0 }
        assert.equal(readVarLong(bytes, cursor, bytes.length), v)
        assert.equal(cursor.pos, bytes.length)
      }),
      { numRuns: 1000 },
    )
  })

  it('reads int32-range varints written by writeVarInt identically', () => {
    fc.assert(
      fc.property(fc.integer({ min: INT32_MIN, max: INT32_MAX }), (v) => {
        const bytes = encodeInt(v)
        assert.equal(readVarLong(bytes, { pos: 0 }, bytes.length), v)
      }),
    )
  })

  it('decodes the 64-bit extremes Kafka may write (precision beyond 2^53 is lost, the sign is not)', () => {
    const max = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    const min = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    assert.equal(readVarLong(Buffer.from(max), { pos: 0 }, 10), 2 ** 63)
    assert.equal(readVarLong(Buffer.from(min), { pos: 0 }, 10), -(2 ** 63))
  })

  it('rejects every truncation with CORRUPT_RECORD and leaves the cursor where it was', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => {
        const bytes = encodeLong(v)
        for (let cut = 0; cut < bytes.length; cut++) {
          const cursor = { pos: 0 }
          assert.throws(() => readVarLong(bytes, cursor, cut), isCorrupt)
          assert.equal(cursor.pos, 0)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('rejects varlongs longer than 10 bytes', () => {
    const bytes = Buffer.alloc(11, 0x80)
    bytes[10] = 0x01
    assert.throws(() => readVarLong(bytes, { pos: 0 }, bytes.length), isCorrupt)
  })
})
