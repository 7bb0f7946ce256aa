/**
 * @module Keyed state, as Flink's: a descriptor names a piece of state and its type; the runtime
 * hands back a handle scoped to the key of the element (or timer) being processed. All operator
 * state lives behind the KeyedStateBackend so a durable backend can snapshot it later.
 */
import { type AggregateFunction } from './aggregate-function.ts'

/** When the last-access time of a state entry is refreshed. */
export type TtlUpdateType = 'onCreateAndWrite' | 'onReadAndWrite'
/** Whether a read may see an entry that expired but was not cleaned up yet. */
export type TtlVisibility = 'neverReturnExpired' | 'returnExpiredIfNotCleanedUp'

/** Time-to-live of keyed state, in processing time (the injected Clock), as Flink's StateTtlConfig. */
export interface StateTtlConfig {
  ttlMs: number
  updateType?: TtlUpdateType
  visibility?: TtlVisibility
}

/** Encodes state values for a durable backend; unused by the in-memory backend. */
export interface StateSerde<T> {
  serialize(value: T): Uint8Array
  deserialize(bytes: Uint8Array): T
}

export interface StateDescriptorOptions<T> {
  ttl?: StateTtlConfig
  serde?: StateSerde<T>
}

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating'

interface DescriptorBase {
  readonly kind: StateKind
  readonly name: string
  readonly ttl: StateTtlConfig | undefined
}

export class ValueStateDescriptor<T> implements DescriptorBase {
  readonly kind = 'value' as const
  readonly name: string
  readonly ttl: StateTtlConfig | undefined
  readonly defaultValue: T | undefined
  readonly serde: StateSerde<T> | undefined

  constructor(name: string, options: StateDescriptorOptions<T> & { defaultValue?: T } = {}) {
    this.name = name
    this.ttl = options.ttl
    this.defaultValue = options.defaultValue
    this.serde = options.serde
  }
}

export class ListStateDescriptor<T> implements DescriptorBase {
  readonly kind = 'list' as const
  readonly name: string
  readonly ttl: StateTtlConfig | undefined
  readonly serde: StateSerde<T> | undefined

  constructor(name: string, options: StateDescriptorOptions<T> = {}) {
    this.name = name
    this.ttl = options.ttl
    this.serde = options.serde
  }
}

export class MapStateDescriptor<UK, UV> implements DescriptorBase {
  readonly kind = 'map' as const
  readonly name: string
  readonly ttl: StateTtlConfig | undefined
  readonly serde: StateSerde<[UK, UV]> | undefined

  constructor(name: string, options: StateDescriptorOptions<[UK, UV]> = {}) {
    this.name = name
    this.ttl = options.ttl
    this.serde = options.serde
  }
}

export class ReducingStateDescriptor<T> implements DescriptorBase {
  readonly kind = 'reducing' as const
  readonly name: string
  readonly ttl: StateTtlConfig | undefined
  readonly reduce: (a: T, b: T) => T
  readonly serde: StateSerde<T> | undefined

  constructor(name: string, reduce: (a: T, b: T) => T, options: StateDescriptorOptions<T> = {}) {
    this.name = name
    this.reduce = reduce
    this.ttl = options.ttl
    this.serde = options.serde
  }
}

export class AggregatingStateDescriptor<IN, ACC, OUT> implements DescriptorBase {
  readonly kind = 'aggregating' as const
  readonly name: string
  readonly ttl: StateTtlConfig | undefined
  readonly aggregate: AggregateFunction<IN, ACC, OUT>

  constructor(name: string, aggregate: AggregateFunction<IN, ACC, OUT>, options: { ttl?: StateTtlConfig } = {}) {
    this.name = name
    this.aggregate = aggregate
    this.ttl = options.ttl
  }
}

export type StateDescriptor =
  | ValueStateDescriptor<unknown>
  | ListStateDescriptor<unknown>
  | MapStateDescriptor<unknown, unknown>
  | ReducingStateDescriptor<unknown>
  | AggregatingStateDescriptor<unknown, unknown, unknown>

/** Every handle reads and writes the entry of the current key. */
export interface State {
  clear(): void
}

export interface ValueState<T> extends State {
  /** The value, or the descriptor's default (undefined when none) when absent or expired. */
  value(): T | undefined
  update(value: T): void
}

export interface ListState<T> extends State {
  /** A copy of the elements; empty when absent. */
  get(): T[]
  add(value: T): void
  addAll(values: readonly T[]): void
  /** Replaces the whole list. */
  update(values: readonly T[]): void
}

export interface MapState<UK, UV> extends State {
  get(key: UK): UV | undefined
  put(key: UK, value: UV): void
  remove(key: UK): void
  contains(key: UK): boolean
  entries(): [UK, UV][]
  keys(): UK[]
  values(): UV[]
  isEmpty(): boolean
}

export interface ReducingState<T> extends State {
  get(): T | undefined
  add(value: T): void
}

export interface AggregatingState<IN, OUT> extends State {
  /** The aggregate result, or undefined when nothing was added. */
  get(): OUT | undefined
  add(value: IN): void
}

/** What a keyed function may ask for in `open`. */
export interface KeyedStateStore {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>
}
