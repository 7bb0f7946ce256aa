/**
 * @module Key and value bytes of the records in `__consumer_offsets` (our own format, versioned).
 * The key names group, topic and partition, so compaction keeps the latest commit of each; a
 * record with a null value (tombstone) deletes the commit.
 *
 * key   = int16 version(1) | int16 groupLen | group utf8 | int16 topicLen | topic utf8 | int32 partition
 * value = int16 version(1) | int64 offset | int64 commitTimestamp | int32 metadataLen (-1: null) | metadata utf8
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'

export const OFFSETS_KEY_VERSION = 1
export const OFFSETS_VALUE_VERSION = 1
/** Group ids are length-prefixed with an int16, as Kafka's strings. */
export const MAX_GROUP_ID_BYTES = 0x7fff

export interface OffsetValue {
  offset: number
  metadata: string | null
  commitTimestamp: number
}

/** One commit (value) or deletion (null) of a group's partition offset. */
export interface OffsetWrite {
  topic: string
  partition: number
  value: OffsetValue | null
}

export interface OffsetKey {
  groupId: string
  topic: string
  partition: number
}

/** A record read back from the offsets topic; `logOffset` orders records of one group. */
export interface LoadedOffset extends OffsetWrite {
  groupId: string
  logOffset: number
}

function corrupt(what: string): TributaryError {
  return new TributaryError(ErrorCode.CORRUPT_RECORD, `offsets record: ${what}`)
}

export function encodeOffsetKey(groupId: string, topic: string, partition: number): Buffer {
  const g = Buffer.from(groupId, 'utf8')
  const t = Buffer.from(topic, 'utf8')
  if (g.length > MAX_GROUP_ID_BYTES || t.length > 0x7fff) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'group id or topic too long for an offsets key')
  const buf = Buffer.allocUnsafe(2 + 2 + g.length + 2 + t.length + 4)
  let pos = buf.writeInt16BE(OFFSETS_KEY_VERSION, 0)
  pos = buf.writeInt16BE(g.length, pos)
  pos += g.copy(buf, pos)
  pos = buf.writeInt16BE(t.length, pos)
  pos += t.copy(buf, pos)
  buf.writeInt32BE(partition, pos)
  return buf
}

export function decodeOffsetKey(buf: Buffer): OffsetKey {
  let pos = 0
  const need = (n: number): void => {
    if (pos + n > buf.length) throw corrupt(`key ends after ${buf.length} bytes`)
  }
  need(2)
  const version = buf.readInt16BE(pos)
  pos += 2
  if (version !== OFFSETS_KEY_VERSION) throw corrupt(`unknown key version ${version}`)
  need(2)
  const gLen = buf.readInt16BE(pos)
  pos += 2
  if (gLen < 0) throw corrupt('negative group id length')
  need(gLen)
  const groupId = buf.toString('utf8', pos, pos + gLen)
  pos += gLen
  need(2)
  const tLen = buf.readInt16BE(pos)
  pos += 2
  if (tLen < 0) throw corrupt('negative topic length')
  need(tLen)
  const topic = buf.toString('utf8', pos, pos + tLen)
  pos += tLen
  need(4)
  const partition = buf.readInt32BE(pos)
  pos += 4
  if (pos !== buf.length) throw corrupt(`${buf.length - pos} trailing key bytes`)
  return { groupId, topic, partition }
}

export function encodeOffsetValue(value: OffsetValue): Buffer {
  const meta = value.metadata === null ? null : Buffer.from(value.metadata, 'utf8')
  const buf = Buffer.allocUnsafe(2 + 8 + 8 + 4 + (meta?.length ?? 0))
  let pos = buf.writeInt16BE(OFFSETS_VALUE_VERSION, 0)
  pos = buf.writeBigInt64BE(BigInt(value.offset), pos)
  pos = buf.writeBigInt64BE(BigInt(value.commitTimestamp), pos)
  pos = buf.writeInt32BE(meta === null ? -1 : meta.length, pos)
  if (meta !== null) meta.copy(buf, pos)
  return buf
}

export function decodeOffsetValue(buf: Buffer): OffsetValue {
  if (buf.length < 22) throw corrupt(`value of ${buf.length} bytes is shorter than 22`)
  const version = buf.readInt16BE(0)
  if (version !== OFFSETS_VALUE_VERSION) throw corrupt(`unknown value version ${version}`)
  const offset = Number(buf.readBigInt64BE(2))
  const commitTimestamp = Number(buf.readBigInt64BE(10))
  const metaLen = buf.readInt32BE(18)
  if (metaLen < -1) throw corrupt('negative metadata length')
  const end = 22 + Math.max(0, metaLen)
  if (end !== buf.length) throw corrupt(`metadata length ${metaLen} does not match the ${buf.length - 22} bytes present`)
  return { offset, commitTimestamp, metadata: metaLen === -1 ? null : buf.toString('utf8', 22, end) }
}
