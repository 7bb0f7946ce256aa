/**
 * @module The keyed state backend contract. Every piece of operator state that must survive a
 * restart (user state, window contents, trigger state, merging-window sets, timers) is reached
 * through this interface, so the in-memory backend can later be swapped for a durable one with
 * checkpoints without touching operators.
 *
 * State is addressed by (state name, current key, namespace). The namespace is '' for plain keyed
 * state and a window id for window state, as in Flink.
 */
import {
  type AggregatingState,
  type AggregatingStateDescriptor,
  type ListState,
  type ListStateDescriptor,
  type MapState,
  type MapStateDescriptor,
  type ReducingState,
  type ReducingStateDescriptor,
  type ValueState,
  type ValueStateDescriptor,
} from '../api/state.ts'

/** A key as stored: primitives as they are, objects by a canonical JSON form. */
export type KeyId = string | number | boolean | bigint | null | undefined | symbol

/** The namespace of state that does not belong to a window. */
export const VOID_NAMESPACE = ''

/** Normalizes a user key so equal composite keys (arrays, objects) address the same state. */
export function keyIdOf(key: unknown): KeyId {
  if (typeof key === 'object' && key !== null) return '\u0000' + JSON.stringify(key)
  if (typeof key === 'function') return String(key)
  return key as KeyId
}

export interface InternalKvState {
  /** Following reads and writes address this namespace (default VOID_NAMESPACE). */
  setNamespace(namespace: string): void
  clear(): void
}

/** States whose contents can be combined when session windows merge. */
export interface MergeableState extends InternalKvState {
  /** Merges the sources' contents into `target` (current key) and clears the sources. */
  mergeNamespaces(target: string, sources: readonly string[]): void
}

export interface InternalValueState<T> extends ValueState<T>, InternalKvState {}
export interface InternalListState<T> extends ListState<T>, MergeableState {}
export interface InternalMapState<UK, UV> extends MapState<UK, UV>, InternalKvState {}
export interface InternalReducingState<T> extends ReducingState<T>, MergeableState {}
export interface InternalAggregatingState<IN, OUT> extends AggregatingState<IN, OUT>, MergeableState {}

/** A registered timer: fires once per (key, namespace, time). */
export interface TimerEntry {
  readonly time: number
  readonly key: unknown
  readonly keyId: KeyId
  readonly namespace: string
}

/** A time-ordered set of timers; deduplicated on (time, key, namespace). */
export interface TimerQueue {
  /** False when the same timer was already registered. */
  add(time: number, key: unknown, namespace: string): boolean
  remove(time: number, key: unknown, namespace: string): boolean
  /** Earliest timer, or undefined. */
  peek(): TimerEntry | undefined
  poll(): TimerEntry | undefined
  readonly size: number
}

export interface KeyedStateBackend {
  /** Sets the key that following state accesses address. */
  setCurrentKey(key: unknown): void
  readonly currentKey: unknown
  valueState<T>(descriptor: ValueStateDescriptor<T>): InternalValueState<T>
  listState<T>(descriptor: ListStateDescriptor<T>): InternalListState<T>
  mapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): InternalMapState<UK, UV>
  reducingState<T>(descriptor: ReducingStateDescriptor<T>): InternalReducingState<T>
  aggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): InternalAggregatingState<IN, OUT>
  /** The timer queue of that name (one per operator and time domain). */
  timerQueue(name: string): TimerQueue
  /** Drops up to `budget` expired TTL entries (incrementally, across calls); returns how many went. */
  cleanupExpired(budget: number): number
  /** Number of (key, namespace) entries held by one state, or by all: for metrics and tests. */
  entryCount(stateName?: string): number
  /** Keys that have an entry in the state. */
  keys(stateName: string): unknown[]
}
