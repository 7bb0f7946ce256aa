import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { Attributes, checkBatch, isControlBatch, isTransactionalBatch } from './batch-header.ts'
import {
  ControlRecordType,
  encodeControlBatch,
  encodeControlRecordKey,
  encodeEndTxnMarkerValue,
  parseControlRecordKey,
  parseEndTxnMarker,
} from './control-record.ts'
import { type DecodedRecord, decodeRecordBatch, decodeRecords } from './record-batch.ts'

function isCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof TributaryError && err.code === code
}

describe('control records', () => {
  it('encodes the key as int16 version 0, int16 type and the value as int16 version 0, int32 coordinator epoch', () => {
    assert.deepEqual([...encodeControlRecordKey(ControlRecordType.ABORT)], [0, 0, 0, 0])
    assert.deepEqual([...encodeControlRecordKey(ControlRecordType.COMMIT)], [0, 0, 0, 1])
    assert.deepEqual([...encodeEndTxnMarkerValue(0x01020304)], [0, 0, 1, 2, 3, 4])
    assert.deepEqual([...encodeEndTxnMarkerValue(-1)], [0, 0, 0xff, 0xff, 0xff, 0xff])
  })

  it('builds a transactional control batch holding one marker, which round-trips', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ControlRecordType.ABORT, ControlRecordType.COMMIT),
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.integer({ min: 0, max: 0x7fff }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        (type, coordinatorEpoch, producerId, producerEpoch, baseOffset) => {
          const batch = encodeControlBatch({ type, coordinatorEpoch, producerId, producerEpoch, baseOffset, timestamp: 1234 })
          assert.equal(checkBatch(batch, 0, batch.length).kind, 'ok')
          const { header, records } = decodeRecordBatch(batch)
          assert.ok(isControlBatch(header.attributes) && isTransactionalBatch(header.attributes))
          assert.equal(header.attributes & Attributes.COMPRESSION_MASK, 0)
          assert.deepEqual([header.producerId, header.producerEpoch, header.baseSequence, header.baseOffset], [producerId, producerEpoch, -1, baseOffset])
          assert.equal(records.length, 1)
          const record = records[0] as DecodedRecord
          assert.equal(record.timestamp, 1234)
          assert.deepEqual(parseEndTxnMarker(record.key, record.value), { type, coordinatorEpoch })
        },
      ),
      { numRuns: 100 },
    )
  })

  it('is invisible to a consumer decoding with default options', () => {
    const batch = encodeControlBatch({ type: ControlRecordType.COMMIT, coordinatorEpoch: 1, producerId: 1, producerEpoch: 0, timestamp: 1 })
    const out: DecodedRecord[] = []
    decodeRecords(batch, 0, batch.length, 't', 0, out)
    assert.equal(out.length, 0)
  })

  it('reads newer key and value versions as version 0, like Kafka', () => {
    assert.deepEqual(parseControlRecordKey(Buffer.from([0, 3, 0, 1])), { version: 3, type: 1 })
    assert.deepEqual(parseEndTxnMarker(Buffer.from([0, 1, 0, 0]), Buffer.from([0, 2, 0, 0, 0, 9, 0xaa])), { type: ControlRecordType.ABORT, coordinatorEpoch: 9 })
  })

  it('rejects short, null, negative-version or non-marker control records as CORRUPT_RECORD', () => {
    const corrupt = isCode(ErrorCode.CORRUPT_RECORD)
    const value = encodeEndTxnMarkerValue(1)
    assert.throws(() => parseControlRecordKey(null), corrupt)
    assert.throws(() => parseControlRecordKey(Buffer.from([0, 0, 0])), corrupt)
    assert.throws(() => parseControlRecordKey(Buffer.from([0xff, 0xff, 0, 0])), corrupt)
    assert.throws(() => parseEndTxnMarker(Buffer.from([0, 0, 0, 2]), value), /not an end-transaction marker/)
    assert.throws(() => parseEndTxnMarker(encodeControlRecordKey(ControlRecordType.COMMIT), Buffer.from([0, 0, 0, 0, 1])), corrupt)
    assert.throws(() => parseEndTxnMarker(encodeControlRecordKey(ControlRecordType.COMMIT), null), corrupt)
    assert.throws(() => parseEndTxnMarker(encodeControlRecordKey(ControlRecordType.COMMIT), Buffer.from([0x80, 0, 0, 0, 0, 1])), corrupt)
  })

  it('rejects invalid arguments when encoding', () => {
    const invalid = isCode(ErrorCode.INVALID_ARGUMENT)
    assert.throws(() => encodeEndTxnMarkerValue(2 ** 31), invalid)
    assert.throws(() => encodeControlBatch({ type: 2 as ControlRecordType, coordinatorEpoch: 0, producerId: 1, producerEpoch: 0, timestamp: 0 }), invalid)
    assert.throws(() => encodeControlBatch({ type: ControlRecordType.ABORT, coordinatorEpoch: 0, producerId: 1, producerEpoch: 1 << 16, timestamp: 0 }), invalid)
  })
})
