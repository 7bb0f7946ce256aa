/**
 * @module Kafka's consumer protocol: the opaque bytes a consumer group carries in JoinGroup metadata
 * (ConsumerProtocolSubscription) and SyncGroup assignments (ConsumerProtocolAssignment), so embedded and
 * Kafka consumers can share a group. Layout (non-flexible, big-endian): int16 version, then
 *   Subscription v0-3: topics [string], userData nullable bytes, v1+ ownedPartitions [topic, [int32]],
 *                      v2+ generationId int32, v3+ rackId nullable string;
 *   Assignment v0-3:   assignedPartitions [topic, [int32]], userData nullable bytes.
 * Strings carry an int16 length, bytes and arrays an int32 one (-1 null). As in Kafka's ConsumerProtocol,
 * versions above 3 are read as 3 (newer fields are appended, so the prefix still parses) and trailing
 * bytes are ignored. Partitions are flat {topic, partition} lists grouped by topic on the wire.
 */
import { ErrorCode, TributaryError } from '../util/errors.ts'

export interface ConsumerTopicPartition {
  topic: string
  partition: number
}

export interface SubscriptionInput {
  topics: readonly string[]
  userData?: Uint8Array | null
  ownedPartitions?: readonly ConsumerTopicPartition[]
  /** -1 when unknown (the default). */
  generationId?: number
  rackId?: string | null
}

export interface Subscription {
  version: number
  topics: string[]
  /** A view into the decoded buffer. */
  userData: Buffer | null
  ownedPartitions: ConsumerTopicPartition[]
  generationId: number
  rackId: string | null
}

export interface AssignmentInput {
  partitions: readonly ConsumerTopicPartition[]
  userData?: Uint8Array | null
}

export interface Assignment {
  version: number
  partitions: ConsumerTopicPartition[]
  /** A view into the decoded buffer. */
  userData: Buffer | null
}

export const CONSUMER_PROTOCOL_MAX_VERSION = 3

function invalid(message: string): TributaryError {
  return new TributaryError(ErrorCode.INVALID_ARGUMENT, message)
}

function corrupt(message: string): TributaryError {
  return new TributaryError(ErrorCode.PROTOCOL_ERROR, `consumer protocol: ${message}`)
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_MAX_VERSION) {
    throw invalid(`consumer protocol version ${version} is not in [0, ${CONSUMER_PROTOCOL_MAX_VERSION}]`)
  }
}

function checkInt32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw invalid(`${name} ${v} is not an int32`)
}

function stringSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8')
  if (n > 0x7fff) throw invalid(`string of ${n} bytes is longer than an int16 length allows`)
  return 2 + n
}

/** Groups partitions by topic in order of first appearance, as Kafka's serializer does. */
function groupByTopic(partitions: readonly ConsumerTopicPartition[]): Map<string, number[]> {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    checkInt32('partition', partition)
    let list = byTopic.get(topic)
    if (list === undefined) byTopic.set(topic, (list = []))
    list.push(partition)
  }
  return byTopic
}

function topicPartitionsSize(groups: Map<string, number[]>): number {
  let size = 4
  for (const [topic, parts] of groups) size += stringSize(topic) + 4 + 4 * parts.length
  return size
}

class Writer {
  readonly buf: Buffer
  pos = 0
  constructor(size: number) {
    this.buf = Buffer.alloc(size)
  }
  int16(v: number): void {
    this.pos = this.buf.writeInt16BE(v, this.pos)
  }
  int32(v: number): void {
    this.pos = this.buf.writeInt32BE(v, this.pos)
  }
  string(s: string | null): void {
    if (s === null) return this.int16(-1)
    const n = Buffer.byteLength(s, 'utf8')
    this.int16(n)
    this.pos += this.buf.write(s, this.pos, n, 'utf8')
  }
  bytes(b: Uint8Array | null): void {
    if (b === null) return this.int32(-1)
    this.int32(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }
  topicPartitions(groups: Map<string, number[]>): void {
    this.int32(groups.size)
    for (const [topic, parts] of groups) {
      this.string(topic)
      this.int32(parts.length)
      for (const p of parts) this.int32(p)
    }
  }
}

export function encodeSubscription(sub: SubscriptionInput, version = CONSUMER_PROTOCOL_MAX_VERSION): Buffer {
  checkVersion(version)
  const userData = sub.userData ?? null
  const generationId = sub.generationId ?? -1
  checkInt32('generationId', generationId)
  const rackId = sub.rackId ?? null
  const owned = groupByTopic(sub.ownedPartitions ?? [])
  let size = 2 + 4 + 4 + (userData === null ? 0 : userData.length)
  for (const topic of sub.topics) size += stringSize(topic)
  if (version >= 1) size += topicPartitionsSize(owned)
  if (version >= 2) size += 4
  if (version >= 3) size += rackId === null ? 2 : stringSize(rackId)
  const w = new Writer(size)
  w.int16(version)
  w.int32(sub.topics.length)
  for (const topic of sub.topics) w.string(topic)
  w.bytes(userData)
  if (version >= 1) w.topicPartitions(owned)
  if (version >= 2) w.int32(generationId)
  if (version >= 3) w.string(rackId)
  return w.buf
}

export function encodeAssignment(assignment: AssignmentInput, version = CONSUMER_PROTOCOL_MAX_VERSION): Buffer {
  checkVersion(version)
  const userData = assignment.userData ?? null
  const groups = groupByTopic(assignment.partitions)
  const w = new Writer(2 + topicPartitionsSize(groups) + 4 + (userData === null ? 0 : userData.length))
  w.int16(version)
  w.topicPartitions(groups)
  w.bytes(userData)
  return w.buf
}

/** Bounds-checked reader: every length is checked against the bytes left before anything is allocated. */
class Reader {
  readonly buf: Buffer
  pos = 0
  constructor(buf: Buffer) {
    this.buf = buf
  }
  #need(n: number, what: string): void {
    if (n > this.buf.length - this.pos) throw corrupt(`${what} needs ${n} bytes, ${this.buf.length - this.pos} left`)
  }
  int16(what: string): number {
    this.#need(2, what)
    const v = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return v
  }
  int32(what: string): number {
    this.#need(4, what)
    const v = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return v
  }
  nullableString(what: string): string | null {
    const n = this.int16(what)
    if (n === -1) return null
    if (n < 0) throw corrupt(`${what} has negative length ${n}`)
    this.#need(n, what)
    const s = this.buf.toString('utf8', this.pos, this.pos + n)
    this.pos += n
    return s
  }
  string(what: string): string {
    const s = this.nullableString(what)
    if (s === null) throw corrupt(`${what} is null`)
    return s
  }
  nullableBytes(what: string): Buffer | null {
    const n = this.int32(what)
    if (n === -1) return null
    if (n < 0) throw corrupt(`${what} has negative length ${n}`)
    this.#need(n, what)
    const b = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return b
  }
  /** An array count; -1 (null) reads as empty. `minItemSize` bounds the count by the bytes left. */
  count(what: string, minItemSize: number): number {
    const n = this.int32(what)
    if (n === -1) return 0
    if (n < 0) throw corrupt(`${what} has negative count ${n}`)
    if (n * minItemSize > this.buf.length - this.pos) throw corrupt(`${what} claims ${n} items in ${this.buf.length - this.pos} bytes`)
    return n
  }
  topicPartitions(out: ConsumerTopicPartition[]): void {
    const topics = this.count('topic partitions', 6)
    for (let t = 0; t < topics; t++) {
      const topic = this.string('topic name')
      const partitions = this.count('partitions', 4)
      for (let p = 0; p < partitions; p++) out.push({ topic, partition: this.int32('partition') })
    }
  }
}

function readVersion(r: Reader): number {
  const version = r.int16('version')
  if (version < 0) throw corrupt(`negative version ${version}`)
  return version
}

export function decodeSubscription(buf: Buffer): Subscription {
  const r = new Reader(buf)
  const version = readVersion(r)
  const v = Math.min(version, CONSUMER_PROTOCOL_MAX_VERSION)
  const topics: string[] = []
  const n = r.count('topics', 2)
  for (let i = 0; i < n; i++) topics.push(r.string('topic name'))
  const userData = r.nullableBytes('user data')
  const ownedPartitions: ConsumerTopicPartition[] = []
  if (v >= 1) r.topicPartitions(ownedPartitions)
  const generationId = v >= 2 ? r.int32('generation id') : -1
  const rackId = v >= 3 ? r.nullableString('rack id') : null
  return { version, topics, userData, ownedPartitions, generationId, rackId }
}

/** Decodes an assignment; empty bytes (what a member gets when the leader assigned it nothing) is empty. */
export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return { version: 0, partitions: [], userData: null }
  const r = new Reader(buf)
  const version = readVersion(r)
  const partitions: ConsumerTopicPartition[] = []
  r.topicPartitions(partitions)
  const userData = r.nullableBytes('user data')
  return { version, partitions, userData }
}
