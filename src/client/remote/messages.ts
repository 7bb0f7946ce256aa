/**
 * @module What crosses the MessagePort between a remote client (worker side) and its host (the
 * thread that owns a real Client). Requests name an operation on a target object (a producer,
 * consumer or admin the remote side created); replies carry a value or an error; the host pushes
 * rebalance events, which the remote side acknowledges once its listener ran.
 * Errors cross as code + message and become TributaryErrors again on arrival.
 */
import { ErrorCode, TributaryError, toTributaryError } from '../../util/errors.ts'
import { type TopicPartition } from '../types.ts'

export const Op = {
  PRODUCER: 'producer',
  /** A send's batches, encoded in the worker: the host appends them as they are. */
  APPEND: 'append',
  PARTITIONS: 'partitions',
  CANCEL_SEND: 'cancelSend',
  CONSUMER: 'consumer',
  SUBSCRIBE: 'subscribe',
  ASSIGN: 'assign',
  SEEK: 'seek',
  NEXT: 'next',
  STOP: 'stop',
  COMMIT: 'commit',
  COMMITTED: 'committed',
  PAUSE: 'pause',
  RESUME: 'resume',
  ADMIN: 'admin',
  ADMIN_CALL: 'adminCall',
  CLOSE_TARGET: 'closeTarget',
  CLOSE: 'close',
} as const

export type Op = (typeof Op)[keyof typeof Op]

/** Remote → host. `id` 0: no reply wanted. */
export interface RequestMessage {
  id: number
  op: Op
  target: number
  args: unknown[]
}

export interface WireError {
  code: string
  message: string
}

/** Host → remote, answering request `reply`. */
export interface ReplyMessage {
  reply: number
  value?: unknown
  error?: WireError
}

/** Host → remote: the host consumer's rebalance listener fired; answer with an AckMessage. */
export interface EventMessage {
  event: 'revoked' | 'assigned'
  target: number
  callback: number
  partitions: TopicPartition[]
  /** For 'assigned': the starting position of each partition (-1 when unknown). */
  positions?: number[]
}

/** Remote → host: the listener for event `ack` finished (or failed). */
export interface AckMessage {
  ack: number
  error?: WireError
}

/** A consumer batch packed for transfer (see record-codec.ts). */
export interface WireBatch {
  topic: string
  partition: number
  highWatermark: number
  nextOffset: number
  bytes: ArrayBuffer
  /**
   * Set when `bytes` are the fetched RecordBatch v2 bytes as stored, read from `position`: the remote
   * side decodes them (src/client/internal/raw-batches.ts). Otherwise packed records (record-codec.ts).
   */
  position?: number
  /** Where the raw bytes lie in `bytes` (offset, length): the broker's read buffer moves whole. */
  view?: [number, number]
}

/** One encoded batch of an APPEND: `length` bytes of the transferred buffer, after the previous ones. */
export interface WireAppend {
  topic: string
  partition: number
  length: number
}

/** Positions after assign(), subscribe() or seek(), for the remote side's synchronous position(). */
export interface WireAssignment {
  partitions: TopicPartition[]
  positions: number[]
}

const codes = new Set<string>(Object.values(ErrorCode))

export function toWire(err: unknown): WireError {
  const e = toTributaryError(err)
  return { code: e.code, message: e.message }
}

export function fromWire(w: WireError): TributaryError {
  const code = codes.has(w.code) ? (w.code as ErrorCode) : ErrorCode.ILLEGAL_STATE
  return new TributaryError(code, w.message)
}

export function isRequest(m: unknown): m is RequestMessage {
  return typeof m === 'object' && m !== null && typeof (m as RequestMessage).op === 'string'
}

export function isAck(m: unknown): m is AckMessage {
  return typeof m === 'object' && m !== null && typeof (m as AckMessage).ack === 'number'
}

export function isReply(m: unknown): m is ReplyMessage {
  return typeof m === 'object' && m !== null && typeof (m as ReplyMessage).reply === 'number'
}

export function isEvent(m: unknown): m is EventMessage {
  return typeof m === 'object' && m !== null && typeof (m as EventMessage).event === 'string'
}
