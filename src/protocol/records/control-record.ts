/**
 * @module Control records: the transaction markers (COMMIT / ABORT) a coordinator appends to each
 * partition a transaction touched. A control batch has the control and transactional attribute bits and
 * holds one record: key = int16 version (0), int16 type; value (end-transaction marker) = int16 version
 * (0), int32 coordinator epoch. Consumers never see these records; read_committed consumers use them to
 * drop aborted data.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { encodeRecordBatch } from './record-batch.ts'

export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
} as const
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType]

const KEY_SIZE = 4
const END_TXN_VALUE_SIZE = 6

export interface ControlRecordKey {
  version: number
  /** 0 ABORT, 1 COMMIT; other values are control types this code does not interpret (KRaft's own). */
  type: number
}

export interface EndTxnMarker {
  type: ControlRecordType
  coordinatorEpoch: number
}

export function encodeControlRecordKey(type: ControlRecordType): Buffer {
  const key = Buffer.allocUnsafe(KEY_SIZE)
  key.writeInt16BE(0, 0)
  key.writeInt16BE(type, 2)
  return key
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number): Buffer {
  if (!Number.isInteger(coordinatorEpoch) || coordinatorEpoch < -1 || coordinatorEpoch > 0x7fffffff) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `coordinator epoch ${coordinatorEpoch} is not an int32`)
  }
  const value = Buffer.allocUnsafe(END_TXN_VALUE_SIZE)
  value.writeInt16BE(0, 0)
  value.writeInt32BE(coordinatorEpoch, 2)
  return value
}

function invalid(reason: string): TributaryError {
  return new TributaryError(ErrorCode.CORRUPT_RECORD, `control record: ${reason}`)
}

/** Parses a control record key; newer key versions are read as version 0, as Kafka does. */
export function parseControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < KEY_SIZE) throw invalid(`key of ${key?.length ?? 'null'} bytes, expected ${KEY_SIZE}`)
  const version = key.readInt16BE(0)
  if (version < 0) throw invalid(`negative key version ${version}`)
  return { version, type: key.readInt16BE(2) }
}

/** Parses a COMMIT or ABORT marker; any other control type is an error here. */
export function parseEndTxnMarker(key: Buffer | null, value: Buffer | null): EndTxnMarker {
  const { type } = parseControlRecordKey(key)
  if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) throw invalid(`type ${type} is not an end-transaction marker`)
  if (value === null || value.length < END_TXN_VALUE_SIZE) throw invalid(`marker value of ${value?.length ?? 'null'} bytes, expected ${END_TXN_VALUE_SIZE}`)
  const version = value.readInt16BE(0)
  if (version < 0) throw invalid(`negative marker version ${version}`)
  return { type, coordinatorEpoch: value.readInt32BE(2) }
}

export interface ControlBatchOptions {
  type: ControlRecordType
  coordinatorEpoch: number
  producerId: number
  producerEpoch: number
  /** Append time of the marker. */
  timestamp: number
  baseOffset?: number
  partitionLeaderEpoch?: number
}

/** Encodes the one-record control batch that ends a transaction on a partition. */
export function encodeControlBatch(options: ControlBatchOptions): Buffer {
  if (options.type !== ControlRecordType.ABORT && options.type !== ControlRecordType.COMMIT) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `unknown control record type ${String(options.type)}`)
  }
  return encodeRecordBatch(
    [{ key: encodeControlRecordKey(options.type), value: encodeEndTxnMarkerValue(options.coordinatorEpoch) }],
    {
      baseOffset: options.baseOffset ?? 0,
      timestamp: options.timestamp,
      producerId: options.producerId,
      producerEpoch: options.producerEpoch,
      transactional: true,
      control: true,
      partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
    },
  )
}
