import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { snappyCompress, snappyCompressRaw, snappyDecompress } from './snappy.ts'

const snappyjs = createRequire(import.meta.url)('snappyjs') as { compress(input: Buffer): Buffer }

function isCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof TributaryError && err.code === code
}

/**
 * Xerial-framed streams as snappy-java's SnappyOutputStream writes them (the framing Kafka's Java
 * producer uses), taken from the test vectors of go-xerial-snappy (klauspost/compress,
 * snappy/xerial/xerial_test.go, snappyStreamTestCases).
 */
const XERIAL_VECTORS: [string, number[]][] = [
  ['PLAINDATA', [130, 83, 78, 65, 80, 80, 89, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 11, 9, 32, 80, 76, 65, 73, 78, 68, 65, 84, 65]],
  [
    '{"a":"UtaitILHMDAAAAfU","b":"日本"}',
    [
      130, 83, 78, 65, 80, 80, 89, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 39, 37, 144, 123, 34, 97, 34, 58, 34, 85, 116, 97, 105, 116, 73, 76,
      72, 77, 68, 65, 65, 65, 65, 102, 85, 34, 44, 34, 98, 34, 58, 34, 230, 151, 165, 230, 156, 172, 34, 125,
    ],
  ],
]

describe('snappy decoding', () => {
  for (const [expected, bytes] of XERIAL_VECTORS) {
    it(`decodes the xerial stream of ${JSON.stringify(expected)}`, () => {
      assert.equal(snappyDecompress(Buffer.from(bytes), 1000).toString(), expected)
    })
  }

  it('decodes every element kind: literals with 0-2 length bytes and copies with 1, 2 and 4 byte offsets', () => {
    // Preamble 0x2c = 44 bytes out.
    const block = Buffer.from([
      0x2c,
      0x0c, 0x61, 0x62, 0x63, 0x64, // literal "abcd" (tag: length-1 = 3, << 2)
      0x01, 0x04, // copy-1: length 4, offset 4 -> "abcd"
      0x1e, 0x02, 0x00, // copy-2: length 8, offset 2 -> "cdcdcdcd"
      0x17, 0x10, 0x00, 0x00, 0x00, // copy-4: length 6, offset 16 -> "abcdab"
      0xf0, 0x04, 0x78, 0x79, 0x7a, 0x77, 0x76, // literal, 1 length byte: 5 bytes "xyzwv"
      0xf4, 0x04, 0x00, 0x31, 0x32, 0x33, 0x34, 0x35, // literal, 2 length bytes: 5 bytes "12345"
      0x1a, 0x0a, 0x00, // copy-2: length 7, offset 10 -> "xyzwv12"
      0x05, 0x19, // copy-1: length 5, offset 25 -> "cdabc"
    ])
    assert.equal(snappyDecompress(block, 100).toString(), 'abcdabcdcdcdcdcdabcdabxyzwv12345xyzwv12cdabc')
  })

  it('round-trips raw snappy written by snappyjs and xerial streams written by us', () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 5000 }),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 4000 })).map(([unit, times]) =>
        Buffer.concat(Array.from({ length: times }, () => Buffer.from(unit))),
      ),
    )
    fc.assert(
      fc.property(data, (input) => {
        const buf = Buffer.from(input)
        assert.ok(snappyDecompress(snappyjs.compress(buf), buf.length).equals(buf))
        assert.ok(snappyDecompress(snappyCompressRaw(buf), buf.length).equals(buf))
        assert.ok(snappyDecompress(snappyCompress(buf), buf.length).equals(buf))
      }),
      { numRuns: 200 },
    )
  })

  it('writes the xerial header and 32 KiB chunks', () => {
    const input = Buffer.alloc(100_000, 7)
    const out = snappyCompress(input)
    assert.deepEqual([...out.subarray(0, 16)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
    let chunks = 0
    for (let s = 16; s < out.length; chunks++) s += 4 + out.readInt32BE(s)
    assert.equal(chunks, 4)
    assert.ok(snappyDecompress(out, input.length).equals(input))
  })
})

describe('snappy decoding of hostile input', () => {
  it('rejects at once a 9-byte block that sends snappyjs\'s decoder into a near-endless loop', () => {
    // A literal whose 4-byte length (0x80000000) wraps negative in 32-bit arithmetic.
    const start = performance.now()
    assert.throws(() => snappyDecompress(Buffer.from([0x10, 0xfc, 0, 0, 0, 0x80, 1, 2, 3]), 100), isCode(ErrorCode.CORRUPT_RECORD))
    assert.ok(performance.now() - start < 100)
  })

  it('rejects output shorter or longer than the preamble declares', () => {
    assert.throws(() => snappyDecompress(Buffer.from([0x10, 0x04, 0x41, 0x42]), 100), /preamble says 16/)
    assert.throws(() => snappyDecompress(Buffer.from([0x01, 0x04, 0x41, 0x42]), 100), /longer than its declared/)
  })

  it('rejects copies reaching before the start of the output, including across xerial chunks', () => {
    assert.throws(() => snappyDecompress(Buffer.from([0x04, 0x01, 0x01]), 100), /offset/)
    const chunk = (bytes: number[]): Buffer => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), Buffer.from(bytes)])
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
    const ok = Buffer.concat([header, chunk([0x04, 0x0c, 0x61, 0x62, 0x63, 0x64]), chunk([0x04, 0x0c, 0x65, 0x66, 0x67, 0x68])])
    assert.equal(snappyDecompress(ok, 100).toString(), 'abcdefgh')
    // Each chunk is its own snappy block: a copy into the previous chunk is invalid.
    const bad = Buffer.concat([header, chunk([0x04, 0x0c, 0x61, 0x62, 0x63, 0x64]), chunk([0x04, 0x01, 0x04])])
    assert.throws(() => snappyDecompress(bad, 100), /offset/)
  })

  it('enforces the output limit before allocating, for raw blocks and xerial streams', () => {
    const input = Buffer.alloc(50_000, 1)
    assert.throws(() => snappyDecompress(snappyCompressRaw(input), 49_999), isCode(ErrorCode.RECORD_TOO_LARGE))
    assert.throws(() => snappyDecompress(snappyCompress(input), 49_999), isCode(ErrorCode.RECORD_TOO_LARGE))
    assert.equal(snappyDecompress(snappyCompress(input), 50_000).length, 50_000)
  })

  it('rejects a preamble claiming more than the input could possibly expand to', () => {
    // Preamble 0xffffffff from 6 bytes of input: corrupt, not RECORD_TOO_LARGE, even under a huge limit.
    assert.throws(() => snappyDecompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]), 2 ** 40), /impossible|claims/)
    assert.throws(() => snappyDecompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 100), /preamble/)
  })

  it('every truncation fails with CORRUPT_RECORD and random damage only raises TributaryErrors', () => {
    const samples = [Buffer.from(XERIAL_VECTORS[1]?.[1] ?? []), snappyCompressRaw(Buffer.from('hello hello hello hello snappy'.repeat(20)))]
    for (const sample of samples) {
      for (let cut = 0; cut < sample.length; cut++) {
        const part = sample.subarray(0, cut)
        // A xerial stream cut exactly between chunks is a shorter valid stream; anything else must fail.
        if (cut === 16) continue
        assert.throws(() => snappyDecompress(part, 10_000), isCode(ErrorCode.CORRUPT_RECORD), `cut at ${cut}`)
      }
    }
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (sample, flips) => {
        const broken = Buffer.from(sample)
        for (const [at, mask] of flips) broken[at % broken.length] = (broken[at % broken.length] as number) ^ mask
        try {
          snappyDecompress(broken, 100_000)
        } catch (err) {
          if (!(err instanceof TributaryError)) throw err
        }
      }),
      { numRuns: 1000 },
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          snappyDecompress(bytes, 100_000)
        } catch (err) {
          if (!(err instanceof TributaryError)) throw err
        }
      }),
      { numRuns: 1000 },
    )
  })
})
