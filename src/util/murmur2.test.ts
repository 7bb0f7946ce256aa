import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { murmur2, partitionForKey } from './murmur2.ts'

/**
 * Kafka's own vectors: UtilsTest.testMurmur2 in apache/kafka
 * (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, e.g. commit f55581dc).
 */
const KAFKA_VECTORS: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
]

/** kafkajs's Java-compatible murmur2 (its "default" partitioner, a Long-arithmetic port): an independent oracle. */
function loadKafkajsMurmur2(): ((key: Buffer) => number) | undefined {
  try {
    return createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number
  } catch {
    return undefined
  }
}

describe('murmur2', () => {
  for (const [key, expected] of KAFKA_VECTORS) {
    it(`hashes "${key}" as Kafka's Utils.murmur2 does`, () => {
      assert.equal(murmur2(Buffer.from(key)), expected)
    })
  }

  it('agrees with kafkajs\'s Java-compatible murmur2 on random keys of every tail length', (t) => {
    const oracle = loadKafkajsMurmur2()
    if (oracle === undefined) {
      t.skip('kafkajs is not installed; no second implementation to compare with')
      return
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (key) => {
        assert.equal(murmur2(key), oracle(Buffer.from(key)))
      }),
      { numRuns: 500 },
    )
  })
})

describe('partitionForKey', () => {
  it('masks the sign bit like Kafka\'s Utils.toPositive rather than taking an absolute value', () => {
    // "21" hashes to -973932308 (Kafka's vector). toPositive gives -973932308 & 0x7fffffff = 1173551340,
    // so over 10 partitions Kafka picks 1173551340 % 10 = 0; Math.abs would have picked 973932308 % 10 = 8.
    assert.equal(partitionForKey(Buffer.from('21'), 10), 0)
    // "foobar" -> -790332482 & 0x7fffffff = 1357151166; % 50 = 16, % 7 = 1357151166 - 7 * 193878738 = 0.
    assert.equal(partitionForKey(Buffer.from('foobar'), 50), 16)
    assert.equal(partitionForKey(Buffer.from('foobar'), 7), 0)
    // "abc" hashes positive: 479470107 % 3 = 0 (479470107 = 3 * 159823369).
    assert.equal(partitionForKey(Buffer.from('abc'), 3), 0)
  })

  it('always lands in [0, n) and is stable for the same key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 10_000 }), (key, n) => {
        const p = partitionForKey(key, n)
        assert.ok(Number.isInteger(p) && p >= 0 && p < n, `partition ${p} of ${n}`)
        assert.equal(partitionForKey(Uint8Array.from(key), n), p)
      }),
      { numRuns: 500 },
    )
  })
})
