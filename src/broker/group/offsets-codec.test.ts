import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isTributaryError } from '../../util/errors.ts'
import { decodeOffsetKey, decodeOffsetValue, encodeOffsetKey, encodeOffsetValue } from './offsets-codec.ts'

test('offset keys and values round-trip (property)', () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 300 }),
      fc.stringMatching(/^[a-zA-Z0-9._-]{1,249}$/),
      fc.integer({ min: 0, max: 0x7fffffff }),
      fc.record({
        offset: fc.maxSafeNat(),
        metadata: fc.option(fc.string({ maxLength: 200 }), { nil: null }),
        commitTimestamp: fc.integer({ min: 0, max: 2 ** 50 }),
      }),
      (groupId, topic, partition, value) => {
        assert.deepEqual(decodeOffsetKey(encodeOffsetKey(groupId, topic, partition)), { groupId, topic, partition })
        assert.deepEqual(decodeOffsetValue(encodeOffsetValue(value)), { ...value })
      },
    ),
  )
})

test('truncated, padded or unknown-version records are CORRUPT_RECORD, never a wrong answer (property)', () => {
  const key = encodeOffsetKey('group', 'topic', 3)
  const value = encodeOffsetValue({ offset: 42, metadata: 'meta', commitTimestamp: 7 })
  const corrupt = (e: unknown): boolean => isTributaryError(e, 'CORRUPT_RECORD')
  fc.assert(
    fc.property(fc.integer({ min: 0, max: key.length - 1 }), (cut) => {
      assert.throws(() => decodeOffsetKey(key.subarray(0, cut)), corrupt)
    }),
  )
  fc.assert(
    fc.property(fc.integer({ min: 0, max: value.length - 1 }), (cut) => {
      assert.throws(() => decodeOffsetValue(value.subarray(0, cut)), corrupt)
    }),
  )
  assert.throws(() => decodeOffsetKey(Buffer.concat([key, Buffer.from([0])])), corrupt)
  assert.throws(() => decodeOffsetValue(Buffer.concat([value, Buffer.from([0])])), corrupt)
  const future = Buffer.from(key)
  future.writeInt16BE(9, 0)
  assert.throws(() => decodeOffsetKey(future), corrupt)
})
