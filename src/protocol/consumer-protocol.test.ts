import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import {
  type ConsumerTopicPartition,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from './consumer-protocol.ts'

const topicArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
const partitionsArb = fc.array(fc.record({ topic: topicArb, partition: fc.integer({ min: 0, max: 0x7fffffff }) }), { maxLength: 20 })
const userDataArb = fc.option(fc.uint8Array({ maxLength: 50 }), { nil: null })

/** Wire order: grouped by topic in order of first appearance, partitions in given order within a topic. */
function grouped(partitions: readonly ConsumerTopicPartition[]): ConsumerTopicPartition[] {
  const order: string[] = []
  for (const p of partitions) if (!order.includes(p.topic)) order.push(p.topic)
  return order.flatMap((t) => partitions.filter((p) => p.topic === t).map(({ topic, partition }) => ({ topic, partition })))
}

function isProtocolError(err: unknown): boolean {
  return err instanceof TributaryError && err.code === ErrorCode.PROTOCOL_ERROR
}

describe('ConsumerProtocolSubscription', () => {
  it('round-trips every field each version carries, and defaults the rest', () => {
    fc.assert(
      fc.property(
        fc.array(topicArb, { maxLength: 10 }),
        userDataArb,
        partitionsArb,
        fc.integer({ min: -1, max: 0x7fffffff }),
        fc.option(fc.string({ maxLength: 20 }), { nil: null }),
        fc.integer({ min: 0, max: 3 }),
        (topics, userData, ownedPartitions, generationId, rackId, version) => {
          const bytes = encodeSubscription({ topics, userData, ownedPartitions, generationId, rackId }, version)
          assert.equal(bytes.readInt16BE(0), version)
          const sub = decodeSubscription(bytes)
          assert.equal(sub.version, version)
          assert.deepEqual(sub.topics, topics)
          assert.deepEqual(sub.userData, userData === null ? null : Buffer.from(userData))
          assert.deepEqual(sub.ownedPartitions, version >= 1 ? grouped(ownedPartitions) : [])
          assert.equal(sub.generationId, version >= 2 ? generationId : -1)
          assert.equal(sub.rackId, version >= 3 ? rackId : null)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('lays out version 3 as Kafka does', () => {
    const bytes = encodeSubscription({
      topics: ['ab'],
      userData: Buffer.from([9]),
      ownedPartitions: [{ topic: 'ab', partition: 1 }, { topic: 'c', partition: 2 }, { topic: 'ab', partition: 0 }],
      generationId: 5,
      rackId: 'r',
    })
    const expected = Buffer.from([
      0, 3, // version
      0, 0, 0, 1, 0, 2, 0x61, 0x62, // topics: ["ab"]
      0, 0, 0, 1, 9, // userData
      0, 0, 0, 2, // ownedPartitions: 2 topics
      0, 2, 0x61, 0x62, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, // "ab": [1, 0]
      0, 1, 0x63, 0, 0, 0, 1, 0, 0, 0, 2, // "c": [2]
      0, 0, 0, 5, // generationId
      0, 1, 0x72, // rackId "r"
    ])
    assert.equal(bytes.toString('hex'), expected.toString('hex'))
  })

  it('encodes null userData and rackId as -1 and reads them back as null', () => {
    const bytes = encodeSubscription({ topics: [] }, 3)
    assert.equal(bytes.toString('hex'), '0003' + '00000000' + 'ffffffff' + '00000000' + 'ffffffff' + 'ffff')
    assert.deepEqual(decodeSubscription(bytes), { version: 3, topics: [], userData: null, ownedPartitions: [], generationId: -1, rackId: null })
  })

  it('reads a newer version as version 3, ignoring fields appended after it', () => {
    const v3 = encodeSubscription({ topics: ['t'], generationId: 2, rackId: 'x' }, 3)
    const v5 = Buffer.concat([v3, Buffer.from([0, 0, 0, 42])])
    v5.writeInt16BE(5, 0)
    const sub = decodeSubscription(v5)
    assert.deepEqual([sub.version, sub.topics, sub.generationId, sub.rackId], [5, ['t'], 2, 'x'])
  })

  it('rejects invalid arguments when encoding', () => {
    const invalid = (err: unknown) => err instanceof TributaryError && err.code === ErrorCode.INVALID_ARGUMENT
    assert.throws(() => encodeSubscription({ topics: [] }, 4), invalid)
    assert.throws(() => encodeSubscription({ topics: [] }, -1), invalid)
    assert.throws(() => encodeSubscription({ topics: ['x'.repeat(40000)] }), invalid)
    assert.throws(() => encodeSubscription({ topics: [], generationId: 2 ** 31 }), invalid)
    assert.throws(() => encodeSubscription({ topics: [], ownedPartitions: [{ topic: 't', partition: 1.5 }] }), invalid)
  })
})

describe('ConsumerProtocolAssignment', () => {
  it('round-trips partitions (grouped by topic) and userData for versions 0-3', () => {
    fc.assert(
      fc.property(partitionsArb, userDataArb, fc.integer({ min: 0, max: 3 }), (partitions, userData, version) => {
        const decoded = decodeAssignment(encodeAssignment({ partitions, userData }, version))
        assert.equal(decoded.version, version)
        assert.deepEqual(decoded.partitions, grouped(partitions))
        assert.deepEqual(decoded.userData, userData === null ? null : Buffer.from(userData))
      }),
      { numRuns: 300 },
    )
  })

  it('lays out an assignment as Kafka does', () => {
    const bytes = encodeAssignment({ partitions: [{ topic: 't', partition: 3 }], userData: null }, 1)
    assert.equal(bytes.toString('hex'), '0001' + '00000001' + '000174' + '00000001' + '00000003' + 'ffffffff')
  })

  it('reads empty bytes as an empty assignment', () => {
    assert.deepEqual(decodeAssignment(Buffer.alloc(0)), { version: 0, partitions: [], userData: null })
  })

  it('reads a null partition array (-1) as empty', () => {
    assert.deepEqual(decodeAssignment(Buffer.from('0000ffffffffffffffff', 'hex')).partitions, [])
  })
})

describe('consumer protocol decoding of bad input', () => {
  const samples = [
    encodeSubscription({ topics: ['orders', 'payments'], userData: Buffer.from('ud'), ownedPartitions: [{ topic: 'orders', partition: 4 }], generationId: 7, rackId: 'rack-1' }),
    encodeAssignment({ partitions: [{ topic: 'orders', partition: 1 }, { topic: 'orders', partition: 2 }], userData: Buffer.from([1, 2]) }),
  ]

  it('every truncation fails with PROTOCOL_ERROR', () => {
    for (let cut = 1; cut < (samples[0] as Buffer).length; cut++) {
      assert.throws(() => decodeSubscription((samples[0] as Buffer).subarray(0, cut)), isProtocolError, `subscription cut at ${cut}`)
    }
    for (let cut = 1; cut < (samples[1] as Buffer).length; cut++) {
      assert.throws(() => decodeAssignment((samples[1] as Buffer).subarray(0, cut)), isProtocolError, `assignment cut at ${cut}`)
    }
  })

  it('rejects counts larger than the bytes left before allocating, and negative lengths', () => {
    assert.throws(() => decodeSubscription(Buffer.from('00007fffffff', 'hex')), /claims/)
    assert.throws(() => decodeAssignment(Buffer.from('0000000000010001740fffffff', 'hex')), /claims/)
    assert.throws(() => decodeSubscription(Buffer.from('0000fffffffe', 'hex')), /negative count/)
    assert.throws(() => decodeSubscription(Buffer.from('000000000001fffe', 'hex')), /negative length/)
    assert.throws(() => decodeSubscription(Buffer.from('000000000001ffff', 'hex')), /is null/)
    assert.throws(() => decodeAssignment(Buffer.from('000000000000fffffffd', 'hex')), /negative length/)
    assert.throws(() => decodeAssignment(Buffer.from('ffff', 'hex')), /negative version/)
  })

  it('random bytes only ever raise PROTOCOL_ERROR', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, sub) => {
        try {
          if (sub) decodeSubscription(Buffer.from(bytes))
          else decodeAssignment(Buffer.from(bytes))
        } catch (err) {
          assert.ok(isProtocolError(err), String(err))
        }
      }),
      { numRuns: 2000 },
    )
  })
})
