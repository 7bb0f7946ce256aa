/**
 * @module Requests over @platformatic/kafka's connection machinery. A library client (`Base`, or its
 * Producer) gives bootstrap, ApiVersions negotiation and per-broker connections; requests are the
 * library's own per-version API functions (the highest version both sides speak), awaited as
 * promises. On top: topic layouts (partition leaders) and group/transaction coordinators, cached.
 */
import { type Base, type Connection, kGetApi, kGetBootstrapConnection, kGetConnection, protocolErrorsCodesById } from '@platformatic/kafka'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { fromKafka, kafkaError } from './errors.ts'

/** Metadata is re-read after this long, as Kafka clients do (metadata.max.age.ms is longer). */
const METADATA_MAX_AGE_MS = 5000

type Callback<T> = (error: Error | null, payload?: T) => void
type AnyApi = ((connection: Connection, ...args: unknown[]) => void) & { version: number }

export interface TopicLayout {
  name: string
  /** Topic id (UUID text) when the broker reports one; Fetch v13+ names topics by id. */
  id: string
  internal: boolean
  /** Leader node of each partition, by partition index. */
  leaders: number[]
}

interface NodeAddress {
  host: string
  port: number
}

interface MetadataResponse {
  brokers: { nodeId: number; host: string; port: number }[]
  controllerId: number
  topics: { errorCode: number; name: string | null; topicId: string; isInternal: boolean; partitions: { partitionIndex: number; leaderId: number }[] }[]
}

interface FindCoordinatorResponse {
  coordinators: { key: string; nodeId: number; host: string; port: number; errorCode: number }[]
}

export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const

/** The response a request failed with, when the library attached one (per-partition errors). */
function attachedResponse<T>(err: unknown): T | undefined {
  const response = (err as { response?: unknown } | null)?.response
  return typeof response === 'object' && response !== null ? (response as T) : undefined
}

export class Wire {
  readonly base: Base
  readonly #nodes = new Map<number, NodeAddress>()
  readonly #topics = new Map<string, { layout: TopicLayout; at: number }>()
  readonly #coordinators = new Map<string, number>()
  #controller = -1

  constructor(base: Base) {
    this.base = base
  }

  /** The library's implementation of `name` at the highest version the broker also speaks. */
  api(name: string): Promise<AnyApi> {
    return new Promise((resolve, reject) => {
      this.base[kGetApi](name, (err: Error | null, api?: unknown) => {
        if (err !== null || api === undefined) reject(fromKafka(err, `${name} is not available`))
        else resolve(api as AnyApi)
      })
    })
  }

  async supports(name: string): Promise<boolean> {
    try {
      await this.api(name)
      return true
    } catch (err) {
      if (err instanceof TributaryError && err.code === ErrorCode.UNSUPPORTED_VERSION) return false
      throw err
    }
  }

  /** Sends a request; rejects with the library's error (map it with fromKafka at the call site). */
  async request<T>(name: string, connection: Connection, ...args: unknown[]): Promise<T> {
    const api = await this.api(name)
    return new Promise<T>((resolve, reject) => {
      api(connection, ...args, ((err: Error | null, response?: T) => {
        if (err !== null) reject(err)
        else resolve(response as T)
      }) as Callback<T>)
    })
  }

  /**
   * Sends a request whose response holds per-item error codes: a response with errors is returned
   * as is (the caller reads the codes); only failures without a response reject.
   */
  async requestPartial<T>(name: string, connection: Connection, ...args: unknown[]): Promise<T> {
    try {
      return await this.request<T>(name, connection, ...args)
    } catch (err) {
      const response = attachedResponse<T>(err)
      if (response !== undefined) return response
      throw err
    }
  }

  bootstrap(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      this.base[kGetBootstrapConnection](((err: Error | null, c?: Connection) => (err !== null || c === undefined ? reject(fromKafka(err, 'connecting to the bootstrap brokers')) : resolve(c))) as Callback<Connection>)
    })
  }

  async node(nodeId: number): Promise<Connection> {
    let address = this.#nodes.get(nodeId)
    if (address === undefined) {
      await this.refresh([])
      address = this.#nodes.get(nodeId)
    }
    if (address === undefined) throw new TributaryError(ErrorCode.NETWORK_ERROR, `broker ${nodeId} is not in the cluster metadata`, { retriable: true })
    const target = address
    return new Promise((resolve, reject) => {
      this.base[kGetConnection](target, ((err: Error | null, c?: Connection) => (err !== null || c === undefined ? reject(fromKafka(err, `connecting to ${target.host}:${target.port}`)) : resolve(c))) as Callback<Connection>)
    })
  }

  /** The controller for topic admin requests (any broker when none is reported). */
  async controller(): Promise<Connection> {
    if (this.#controller < 0) await this.refresh([])
    return this.#controller >= 0 && this.#nodes.has(this.#controller) ? this.node(this.#controller) : this.bootstrap()
  }

  /**
   * Reads metadata for `topics` (all topics for null) and caches their layouts. Returns the layout of
   * each asked topic, undefined for topics the broker does not have.
   */
  async refresh(topics: readonly string[] | null): Promise<Map<string, TopicLayout | undefined>> {
    let response: MetadataResponse
    try {
      response = await this.requestPartial<MetadataResponse>('Metadata', await this.bootstrap(), topics === null ? null : [...topics], false, false)
    } catch (err) {
      throw fromKafka(err, 'reading cluster metadata')
    }
    this.#nodes.clear()
    for (const b of response.brokers) this.#nodes.set(b.nodeId, { host: b.host, port: b.port })
    this.#controller = response.controllerId
    const now = Date.now()
    const out = new Map<string, TopicLayout | undefined>()
    for (const name of topics ?? []) out.set(name, undefined)
    for (const t of response.topics) {
      if (t.name === null) continue
      if (t.errorCode !== 0) {
        this.#topics.delete(t.name)
        // Unknown topic: reported as missing; any other error is the broker's answer to surface.
        if (t.errorCode !== 3) throw kafkaError(errorName(t.errorCode), `metadata of topic "${t.name}"`)
        continue
      }
      const leaders: number[] = []
      for (const p of t.partitions) leaders[p.partitionIndex] = p.leaderId
      const layout: TopicLayout = { name: t.name, id: t.topicId, internal: t.isInternal, leaders }
      this.#topics.set(t.name, { layout, at: now })
      out.set(t.name, layout)
    }
    return out
  }

  /** The layout of one topic (cached up to METADATA_MAX_AGE_MS); throws UNKNOWN_TOPIC. */
  async layout(topic: string, fresh = false): Promise<TopicLayout> {
    const cached = this.#topics.get(topic)
    if (!fresh && cached !== undefined && Date.now() - cached.at < METADATA_MAX_AGE_MS) return cached.layout
    const layout = (await this.refresh([topic])).get(topic)
    if (layout === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `unknown topic "${topic}"`)
    return layout
  }

  /** Throws UNKNOWN_TOPIC / UNKNOWN_PARTITION unless the partition exists (refreshing once if needed). */
  async checkPartition(topic: string, partition: number): Promise<TopicLayout> {
    if (!Number.isInteger(partition) || partition < 0) throw unknownPartition(topic, partition)
    const layout = await this.layout(topic)
    if (partition < layout.leaders.length) return layout
    const fresh = await this.layout(topic, true)
    if (partition < fresh.leaders.length) return fresh
    throw unknownPartition(topic, partition)
  }

  /** A connection to the leader of a partition. */
  async leader(topic: string, partition: number): Promise<Connection> {
    const layout = await this.checkPartition(topic, partition)
    return this.node(layout.leaders[partition] ?? -1)
  }

  forget(topic: string): void {
    this.#topics.delete(topic)
  }

  /** A connection to the coordinator of a group (or transactional id), found with FindCoordinator. */
  async coordinator(key: string, type: number = CoordinatorType.GROUP): Promise<Connection> {
    const cacheKey = `${type}:${key}`
    let nodeId = this.#coordinators.get(cacheKey)
    if (nodeId === undefined) {
      let response: FindCoordinatorResponse
      try {
        response = await this.requestPartial<FindCoordinatorResponse>('FindCoordinator', await this.bootstrap(), type, [key])
      } catch (err) {
        throw fromKafka(err, `finding the coordinator of "${key}"`)
      }
      const found = response.coordinators.find((c) => c.key === key)
      if (found === undefined || found.errorCode !== 0) throw kafkaError(errorName(found?.errorCode ?? 15), `finding the coordinator of "${key}"`)
      this.#nodes.set(found.nodeId, { host: found.host, port: found.port })
      nodeId = found.nodeId
      this.#coordinators.set(cacheKey, nodeId)
    }
    return this.node(nodeId)
  }

  /** Forgets a coordinator after NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE, so the next call looks again. */
  forgetCoordinator(key: string, type: number = CoordinatorType.GROUP): void {
    this.#coordinators.delete(`${type}:${key}`)
  }

  async close(): Promise<void> {
    await this.base.close()
  }
}

export function unknownPartition(topic: string, partition: number): TributaryError {
  return new TributaryError(ErrorCode.UNKNOWN_PARTITION, `topic "${topic}" has no partition ${partition}`)
}

/** Kafka's name for an error code read from a response. */
export function errorName(code: number): string {
  return (protocolErrorsCodesById as Record<number, string | undefined>)[code] ?? `KAFKA_ERROR_${code}`
}
