/**
 * @module What a request handler sees: the server-wide context (broker, advertised address,
 * cluster id, transaction coordinator), the connection it came on, and the request version. A
 * handler gets the decoded body of any version it serves and returns a response body in the
 * superset shape of the newest version: the generated encoder of an older version reads only the
 * fields that version has, so one response object serves every version.
 */
import { type Clock } from '../../util/clock.ts'
import { type Broker } from '../broker.ts'
import { type TopicPartition } from '../types.ts'
import { type ReadBufferPool } from './read-buffer-pool.ts'
import { type SaslAuthenticator } from './sasl/authenticator.ts'
import { type TopicIds } from './topic-ids.ts'

/** What Fetch, ListOffsets and OffsetFetch need to know about transactions. */
export interface TransactionsView {
  /** First offset a read_committed consumer may not read yet (at most the high watermark). */
  lastStableOffset(topic: string, partition: number, highWatermark: number): number
  /** Aborted transactions with data in [from, to), by first offset. */
  abortedTransactions(topic: string, partition: number, from: number, to: number): { producerId: number; firstOffset: number }[]
  /** Resolves when any of the partitions gets an append (or its high watermark moves), after `ms`, or on abort. */
  waitForAppend(partitions: readonly TopicPartition[], ms: number, signal: AbortSignal): Promise<void>
  /** Whether an open transaction holds an uncommitted offset of the group for the partition. */
  hasPendingOffsets(groupId: string, topic: string, partition: number): boolean
}

export interface ServerContext {
  readonly broker: Broker
  readonly transactions: TransactionsView
  readonly clock: Clock
  /** The one node of this cluster. */
  readonly nodeId: number
  /** Where clients are told to connect (Metadata, FindCoordinator). */
  readonly advertised: { readonly host: string; readonly port: number }
  readonly clusterId: string
  readonly topicIds: TopicIds
  /** Set when the listener requires SASL. */
  readonly sasl: SaslAuthenticator | undefined
  /** Aborted when the server starts to shut down: long polls answer with what they have. */
  readonly closing: AbortSignal
  /** Buffers for the log reads of Fetch responses, reused once a response is written. */
  readonly readBuffers: ReadBufferPool
  /** Unexpected failures (bugs, storage errors) are reported here; the connection is closed. */
  readonly log: (message: string) => void
}

/** Per-connection state that handlers read or change (SASL). */
export interface ConnectionState {
  readonly id: number
  readonly clientHost: string
  /** Aborted when the connection closes: parked requests give up. */
  readonly signal: AbortSignal
  /**
   * Aborted when the connection closes or the server starts closing: what a parked request (a long
   * poll, a group join) listens to. Made once per connection, because AbortSignal.any per request
   * leaves weak references on the long-lived signals that live into the old generation.
   */
  readonly parkedSignal: AbortSignal
  /** The authenticated user, or undefined (also when SASL is off). */
  principal: string | undefined
  /** SASL mechanism chosen by SaslHandshake, and the exchange in progress. */
  saslMechanism: string | undefined
  saslExchange: unknown
  /** After SaslHandshake v0, the next frames are raw SASL tokens (no Kafka header). */
  rawSaslTokens: boolean
  /** Set by a handler whose response must be the last on this connection (failed authentication). */
  closeAfterResponse: boolean
}

export interface RequestContext {
  readonly server: ServerContext
  readonly connection: ConnectionState
  readonly apiKey: number
  readonly apiVersion: number
  readonly clientId: string | null
  /** Set by a handler whose response holds bytes that may be reused once the response is written. */
  afterWrite?: () => void
}

/** Returned by a handler when the request gets no response at all (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response')

/** A handler returns the response body (newest-version shape) or NO_RESPONSE. */
export type Handler = (ctx: RequestContext, body: unknown) => unknown

/**
 * A request type whose fields may all be missing: a decoded body of an older version lacks the
 * fields added later, and the handler fills in each one's protocol default.
 */
export type Loose<T> = T extends Buffer
  ? T
  : T extends bigint | number | string | boolean | null | undefined
    ? T
    : T extends readonly (infer E)[]
      ? Loose<E>[]
      : { [K in keyof T]?: Loose<T[K]> }
