import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { crc32c, crc32cIsNative, crc32cJs } from './crc32c.ts'

// Check values from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value of CRC-32C.
const VECTORS: [string, Uint8Array, number][] = [
  ['"123456789"', Buffer.from('123456789'), 0xe3069283],
  ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
  ['32 0xff bytes', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['32 incrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['32 decrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ['empty input', new Uint8Array(0), 0],
]

function loadPackageCrc(): ((data: Uint8Array) => number) | undefined {
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: (data: Uint8Array) => number }
    return (data) => mod.crc32c(data) >>> 0
  } catch {
    return undefined
  }
}

describe('crc32c', () => {
  for (const [name, data, expected] of VECTORS) {
    it(`matches the known value for ${name}`, () => {
      assert.equal(crc32c(data), expected)
      assert.equal(crc32cJs(data), expected)
    })
  }

  it('reports whether the native implementation is in use', (t) => {
    t.diagnostic(`native CRC-32C: ${crc32cIsNative}`)
    assert.equal(typeof crc32cIsNative, 'boolean')
  })

  it('the JS table implementation equals @node-rs/crc32 on random input', (t) => {
    const native = loadPackageCrc()
    if (native === undefined) {
      t.skip('@node-rs/crc32 is not loadable here; nothing native to compare with')
      return
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (data) => {
        assert.equal(crc32cJs(data), native(data))
      }),
      { numRuns: 300 },
    )
  })

  it('a [start, end) range equals the checksum of the same bytes copied out', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(), fc.nat(), (data, a, b) => {
        const start = data.length === 0 ? 0 : a % (data.length + 1)
        const end = start + (data.length - start === 0 ? 0 : b % (data.length - start + 1))
        const copy = Uint8Array.from(data.subarray(start, end))
        assert.equal(crc32c(data, start, end), crc32cJs(copy))
        assert.equal(crc32cJs(data, start, end), crc32cJs(copy))
      }),
      { numRuns: 300 },
    )
  })

  it('changes when any single bit of the input flips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (data, i, bit) => {
        const flipped = Uint8Array.from(data)
        const at = i % data.length
        flipped[at] = (flipped[at] as number) ^ (1 << bit)
        assert.notEqual(crc32c(flipped), crc32c(data))
      }),
      { numRuns: 200 },
    )
  })
})
