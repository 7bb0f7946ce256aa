// The idempotence rules of one partition against a model producer: batches sent in order with
// retries of any of the last five interleaved (also across the int32 sequence wrap) are appended
// exactly once each, and every retry is answered with the original offsets.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, isTributaryError } from '../../util/errors.ts'
import { ControlRecordType } from '../../protocol/records/control-record.ts'
import { type BatchInfo, MAX_CACHED_BATCHES, PartitionProducerState, addSequence } from './partition-state.ts'

const PID = 42

test('in-order batches are appended once; retries of the last five are duplicates with their offsets', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 40 }),
      fc.array(fc.tuple(fc.nat({ max: 39 }), fc.nat({ max: MAX_CACHED_BATCHES - 1 })), { maxLength: 30 }),
      fc.oneof(fc.constant(0), fc.integer({ min: 0x7fffffff - 100, max: 0x7fffffff })),
      (sizes, retries, start) => {
        const state = new PartitionProducerState()
        const sent: { info: BatchInfo; offset: number }[] = []
        let seq = start
        let offset = 0
        sizes.forEach((n, i) => {
          const info: BatchInfo = { producerId: PID, producerEpoch: 0, baseSequence: seq, lastOffsetDelta: n - 1, transactional: false }
          const r = state.check(info)
          assert.equal(r.kind, 'append')
          state.applyBatch(info, offset, 0)
          sent.push({ info, offset })
          offset += n
          seq = addSequence(seq, n)
          // Retries of recent batches, as a client with five requests in flight may send.
          for (const [at, back] of retries) {
            if (at !== i || back >= sent.length) continue
            const original = sent[sent.length - 1 - back] as { info: BatchInfo; offset: number }
            const dup = state.check(original.info)
            assert.equal(dup.kind, 'duplicate')
            if (dup.kind === 'duplicate') assert.equal(dup.batch.firstOffset, original.offset)
          }
        })
        // Anything but the next sequence is a gap now.
        const gap = { producerId: PID, producerEpoch: 0, baseSequence: addSequence(seq, 1), lastOffsetDelta: 0, transactional: false }
        assert.throws(() => state.check(gap), (e: unknown) => isTributaryError(e, ErrorCode.OUT_OF_ORDER_SEQUENCE))
      },
    ),
  )
})

test('epochs: older ones are refused, a newer one must start at 0, a marker fences the old epoch', () => {
  const s = new PartitionProducerState()
  const b = (epoch: number, baseSequence: number): BatchInfo => ({ producerId: PID, producerEpoch: epoch, baseSequence, lastOffsetDelta: 0, transactional: true })
  s.applyBatch(b(1, 0), 10, 0)
  assert.throws(() => s.check(b(0, 1)), (e: unknown) => isTributaryError(e, ErrorCode.INVALID_PRODUCER_EPOCH))
  assert.throws(() => s.check(b(2, 5)), (e: unknown) => isTributaryError(e, ErrorCode.OUT_OF_ORDER_SEQUENCE))
  assert.equal(s.lastStableOffset(100), 10)
  s.applyMarker(PID, 2, ControlRecordType.ABORT, 11, 0)
  // Stable once the marker is readable.
  assert.equal(s.lastStableOffset(11), 10)
  assert.equal(s.lastStableOffset(12), 12)
  assert.deepEqual(s.abortedIn(0, 100, 0), [{ producerId: PID, firstOffset: 10, lastOffset: 11 }])
  assert.deepEqual(s.abortedIn(12, 100, 0), [])
  assert.deepEqual(s.abortedIn(0, 100, 12), [], 'ranges below the log start are forgotten')
  assert.throws(() => s.check(b(1, 1)), (e: unknown) => isTributaryError(e, ErrorCode.INVALID_PRODUCER_EPOCH))
  assert.equal(s.check(b(2, 0)).kind, 'append')
})

test('idle producers are forgotten, except those with an open transaction', () => {
  const s = new PartitionProducerState()
  const b = (pid: number, transactional: boolean): BatchInfo => ({ producerId: pid, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 0, transactional })
  s.applyBatch(b(1, false), 0, 1_000)
  s.applyBatch(b(2, true), 1, 1_000)
  s.applyBatch(b(3, false), 2, 50_000)
  s.expire(60_000, 30_000)
  assert.deepEqual([...s.producers.keys()].sort(), [2, 3])
  // A forgotten producer is new again: any sequence starts it.
  assert.equal(s.check({ ...b(1, false), baseSequence: 17 }).kind, 'append')
})
