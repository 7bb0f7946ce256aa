import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { xxhash32 } from './xxhash32.ts'

// Published XXH32 values for seed 0 (xxHash's reference implementation).
const VECTORS: [string, number][] = [
  ['', 0x02cc5d05],
  ['a', 0x550d7456],
  ['abc', 0x32d153ff],
  ['Nobody inspects the spammish repetition', 0xe2293b2f],
]

describe('xxhash32', () => {
  for (const [input, expected] of VECTORS) {
    it(`hashes ${JSON.stringify(input)} to ${expected.toString(16)}`, () => {
      assert.equal(xxhash32(Buffer.from(input)), expected)
    })
  }

  it('equals lz4js\'s independent xxh32 for random data, seeds and ranges', () => {
    const oracle = createRequire(import.meta.url)('lz4js/xxh32.js') as {
      hash(seed: number, src: Uint8Array, start: number, length: number): number
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (data, a, b, seed) => {
        const start = a % (data.length + 1)
        const end = start + (b % (data.length - start + 1))
        assert.equal(xxhash32(data, start, end, seed), oracle.hash(seed, data, start, end - start) >>> 0)
      }),
      { numRuns: 500 },
    )
  })
})
