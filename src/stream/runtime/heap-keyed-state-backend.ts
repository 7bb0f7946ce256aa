/**
 * @module The in-memory keyed state backend: nested maps (state → key → namespace → entry), TTL on
 * the injected clock with lazy expiry on read plus incremental cleanup, and heap timer queues
 * (heap-timer-queue.ts).
 */
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import {
  type AggregatingStateDescriptor,
  type ListStateDescriptor,
  type MapStateDescriptor,
  type ReducingStateDescriptor,
  type StateKind,
  type StateTtlConfig,
  type ValueStateDescriptor,
} from '../api/state.ts'
import { type AggregateFunction } from '../api/aggregate-function.ts'
import {
  type InternalAggregatingState,
  type InternalListState,
  type InternalMapState,
  type InternalReducingState,
  type InternalValueState,
  type KeyedStateBackend,
  type KeyId,
  type TimerQueue,
  keyIdOf,
  VOID_NAMESPACE,
} from './keyed-state-backend.ts'
import { HeapTimerQueue } from './heap-timer-queue.ts'

/** An entry with its last-access time, used only by states with a TTL. */
interface Cell<T> {
  v: T
  t: number
}

interface KeyEntry {
  key: unknown
  byNamespace: Map<string, unknown>
}

class Ttl {
  readonly ms: number
  readonly updateOnRead: boolean
  readonly returnExpired: boolean

  constructor(config: StateTtlConfig) {
    if (!(config.ttlMs > 0)) throw new TributaryError(ErrorCode.INVALID_CONFIG, `state TTL must be > 0 ms, got ${config.ttlMs}`)
    this.ms = config.ttlMs
    this.updateOnRead = config.updateType === 'onReadAndWrite'
    this.returnExpired = config.visibility === 'returnExpiredIfNotCleanedUp'
  }

  expired(cell: Cell<unknown>, now: number): boolean {
    return cell.t + this.ms <= now
  }
}

class Table {
  readonly name: string
  readonly kind: StateKind
  readonly ttl: Ttl | undefined
  readonly data = new Map<KeyId, KeyEntry>()

  constructor(name: string, kind: StateKind, ttl: StateTtlConfig | undefined) {
    this.name = name
    this.kind = kind
    this.ttl = ttl === undefined ? undefined : new Ttl(ttl)
  }

  get(keyId: KeyId, ns: string): unknown {
    return this.data.get(keyId)?.byNamespace.get(ns)
  }

  set(keyId: KeyId, key: unknown, ns: string, value: unknown): void {
    let entry = this.data.get(keyId)
    if (entry === undefined) {
      entry = { key, byNamespace: new Map() }
      this.data.set(keyId, entry)
    }
    entry.byNamespace.set(ns, value)
  }

  delete(keyId: KeyId, ns: string): void {
    const entry = this.data.get(keyId)
    if (entry === undefined) return
    entry.byNamespace.delete(ns)
    if (entry.byNamespace.size === 0) this.data.delete(keyId)
  }

  /** Drops expired parts of one stored value; returns what remains (undefined: nothing). */
  prune(raw: unknown, now: number): unknown {
    const ttl = this.ttl as Ttl
    if (this.kind === 'list') {
      const cells = raw as Cell<unknown>[]
      const alive = cells.filter((c) => !ttl.expired(c, now))
      return alive.length === 0 ? undefined : alive
    }
    if (this.kind === 'map') {
      const map = raw as Map<KeyId, Cell<unknown> & { k: unknown }>
      for (const [id, c] of map) if (ttl.expired(c, now)) map.delete(id)
      return map.size === 0 ? undefined : map
    }
    return ttl.expired(raw as Cell<unknown>, now) ? undefined : raw
  }
}

abstract class HandleBase {
  protected readonly backend: HeapKeyedStateBackend
  protected readonly table: Table
  protected ns: string = VOID_NAMESPACE

  constructor(backend: HeapKeyedStateBackend, table: Table) {
    this.backend = backend
    this.table = table
  }

  setNamespace(namespace: string): void {
    this.ns = namespace
  }

  clear(): void {
    this.table.delete(this.backend.currentKeyId, this.ns)
  }

  protected raw(ns: string = this.ns): unknown {
    return this.table.get(this.backend.currentKeyId, ns)
  }

  protected write(value: unknown, ns: string = this.ns): void {
    if (value === undefined) this.table.delete(this.backend.currentKeyId, ns)
    else this.table.set(this.backend.currentKeyId, this.backend.currentKey, ns, value)
  }

  protected now(): number {
    return this.backend.clock.now()
  }

  /** Reads a single-cell value honouring TTL (value, reducing and aggregating states). */
  protected readCell(ns: string = this.ns): unknown {
    const raw = this.raw(ns)
    if (raw === undefined) return undefined
    const ttl = this.table.ttl
    if (ttl === undefined) return raw
    const cell = raw as Cell<unknown>
    const now = this.now()
    if (ttl.expired(cell, now)) {
      if (ttl.returnExpired) return cell.v
      this.table.delete(this.backend.currentKeyId, ns)
      return undefined
    }
    if (ttl.updateOnRead) cell.t = now
    return cell.v
  }

  protected writeCell(value: unknown, ns: string = this.ns): void {
    if (value === undefined || this.table.ttl === undefined) this.write(value, ns)
    else this.write({ v: value, t: this.now() } satisfies Cell<unknown>, ns)
  }
}

class HeapValueState<T> extends HandleBase implements InternalValueState<T> {
  readonly #defaultValue: T | undefined

  constructor(backend: HeapKeyedStateBackend, table: Table, defaultValue: T | undefined) {
    super(backend, table)
    this.#defaultValue = defaultValue
  }

  value(): T | undefined {
    const v = this.readCell() as T | undefined
    return v === undefined ? this.#defaultValue : v
  }

  update(value: T): void {
    this.writeCell(value)
  }
}

class HeapListState<T> extends HandleBase implements InternalListState<T> {
  get(): T[] {
    return this.#read(this.ns, true)
  }

  add(value: T): void {
    this.addAll([value])
  }

  addAll(values: readonly T[]): void {
    if (values.length === 0) return
    const ttl = this.table.ttl
    let list = this.raw() as unknown[] | undefined
    if (list === undefined) {
      list = []
      this.write(list)
    }
    if (ttl === undefined) for (const v of values) list.push(v)
    else {
      const now = this.now()
      for (const v of values) list.push({ v, t: now } satisfies Cell<T>)
    }
  }

  update(values: readonly T[]): void {
    this.clear()
    this.addAll(values)
  }

  mergeNamespaces(target: string, sources: readonly string[]): void {
    const merged = this.#read(target, false)
    for (const s of sources) {
      if (s === target) continue
      for (const v of this.#read(s, false)) merged.push(v)
      this.write(undefined, s)
    }
    const saved = this.ns
    this.ns = target
    this.update(merged)
    this.ns = saved
  }

  #read(ns: string, touch: boolean): T[] {
    const raw = this.raw(ns) as unknown[] | undefined
    if (raw === undefined) return []
    const ttl = this.table.ttl
    if (ttl === undefined) return (raw as T[]).slice()
    const now = this.now()
    const out: T[] = []
    let expired = 0
    for (const c of raw as Cell<T>[]) {
      if (ttl.expired(c, now)) {
        expired++
        if (!ttl.returnExpired) continue
      } else if (touch && ttl.updateOnRead) c.t = now
      out.push(c.v)
    }
    if (expired > 0 && !ttl.returnExpired) this.write(this.table.prune(raw, now), ns)
    return out
  }
}

interface MapCell<UK, UV> {
  k: UK
  v: UV
  t: number
}

class HeapMapState<UK, UV> extends HandleBase implements InternalMapState<UK, UV> {
  get(key: UK): UV | undefined {
    const map = this.#map(false)
    if (map === undefined) return undefined
    const id = keyIdOf(key)
    const cell = map.get(id)
    if (cell === undefined) return undefined
    const ttl = this.table.ttl
    if (ttl !== undefined) {
      const now = this.now()
      if (ttl.expired(cell, now)) {
        if (ttl.returnExpired) return cell.v
        this.#removeId(map, id)
        return undefined
      }
      if (ttl.updateOnRead) cell.t = now
    }
    return cell.v
  }

  put(key: UK, value: UV): void {
    const map = this.#map(true) as Map<KeyId, MapCell<UK, UV>>
    map.set(keyIdOf(key), { k: key, v: value, t: this.table.ttl === undefined ? 0 : this.now() })
  }

  remove(key: UK): void {
    const map = this.#map(false)
    if (map !== undefined) this.#removeId(map, keyIdOf(key))
  }

  contains(key: UK): boolean {
    return this.get(key) !== undefined
  }

  entries(): [UK, UV][] {
    const out: [UK, UV][] = []
    for (const c of this.#cells()) out.push([c.k, c.v])
    return out
  }

  keys(): UK[] {
    return this.#cells().map((c) => c.k)
  }

  values(): UV[] {
    return this.#cells().map((c) => c.v)
  }

  isEmpty(): boolean {
    return this.#cells().length === 0
  }

  #cells(): MapCell<UK, UV>[] {
    const map = this.#map(false)
    if (map === undefined) return []
    const ttl = this.table.ttl
    if (ttl === undefined) return [...map.values()]
    const now = this.now()
    const out: MapCell<UK, UV>[] = []
    for (const [id, c] of map) {
      if (ttl.expired(c, now)) {
        if (ttl.returnExpired) out.push(c)
        else map.delete(id)
        continue
      }
      if (ttl.updateOnRead) c.t = now
      out.push(c)
    }
    if (map.size === 0) this.write(undefined)
    return out
  }

  #map(create: boolean): Map<KeyId, MapCell<UK, UV>> | undefined {
    let map = this.raw() as Map<KeyId, MapCell<UK, UV>> | undefined
    if (map === undefined && create) {
      map = new Map()
      this.write(map)
    }
    return map
  }

  #removeId(map: Map<KeyId, MapCell<UK, UV>>, id: KeyId): void {
    map.delete(id)
    if (map.size === 0) this.write(undefined)
  }
}

class HeapReducingState<T> extends HandleBase implements InternalReducingState<T> {
  readonly #reduce: (a: T, b: T) => T

  constructor(backend: HeapKeyedStateBackend, table: Table, reduce: (a: T, b: T) => T) {
    super(backend, table)
    this.#reduce = reduce
  }

  get(): T | undefined {
    return this.readCell() as T | undefined
  }

  add(value: T): void {
    const current = this.readCell() as T | undefined
    this.writeCell(current === undefined ? value : this.#reduce(current, value))
  }

  mergeNamespaces(target: string, sources: readonly string[]): void {
    let acc = this.readCell(target) as T | undefined
    for (const s of sources) {
      if (s === target) continue
      const v = this.readCell(s) as T | undefined
      if (v !== undefined) acc = acc === undefined ? v : this.#reduce(acc, v)
      this.write(undefined, s)
    }
    if (acc !== undefined) this.writeCell(acc, target)
  }
}

class HeapAggregatingState<IN, ACC, OUT> extends HandleBase implements InternalAggregatingState<IN, OUT> {
  readonly #fn: AggregateFunction<IN, ACC, OUT>

  constructor(backend: HeapKeyedStateBackend, table: Table, fn: AggregateFunction<IN, ACC, OUT>) {
    super(backend, table)
    this.#fn = fn
  }

  get(): OUT | undefined {
    const acc = this.readCell() as ACC | undefined
    return acc === undefined ? undefined : this.#fn.getResult(acc)
  }

  add(value: IN): void {
    const acc = (this.readCell() as ACC | undefined) ?? this.#fn.createAccumulator()
    this.writeCell(this.#fn.add(acc, value))
  }

  mergeNamespaces(target: string, sources: readonly string[]): void {
    let acc = this.readCell(target) as ACC | undefined
    for (const s of sources) {
      if (s === target) continue
      const v = this.readCell(s) as ACC | undefined
      if (v !== undefined) acc = acc === undefined ? v : this.#fn.merge(acc, v)
      this.write(undefined, s)
    }
    if (acc !== undefined) this.writeCell(acc, target)
  }
}

interface Registered {
  kind: StateKind
  handle: unknown
}

export class HeapKeyedStateBackend implements KeyedStateBackend {
  readonly clock: Clock
  #currentKey: unknown = undefined
  #currentKeyId: KeyId = undefined
  readonly #tables = new Map<string, Table>()
  readonly #handles = new Map<string, Registered>()
  readonly #timerQueues = new Map<string, HeapTimerQueue>()
  #cleanup: Iterator<number> | undefined

  constructor(options: { clock: Clock }) {
    this.clock = options.clock
  }

  get currentKey(): unknown {
    return this.#currentKey
  }

  get currentKeyId(): KeyId {
    return this.#currentKeyId
  }

  setCurrentKey(key: unknown): void {
    this.#currentKey = key
    this.#currentKeyId = keyIdOf(key)
  }

  valueState<T>(d: ValueStateDescriptor<T>): InternalValueState<T> {
    return this.#register(d.name, 'value', d.ttl, (t) => new HeapValueState<T>(this, t, d.defaultValue))
  }

  listState<T>(d: ListStateDescriptor<T>): InternalListState<T> {
    return this.#register(d.name, 'list', d.ttl, (t) => new HeapListState<T>(this, t))
  }

  mapState<UK, UV>(d: MapStateDescriptor<UK, UV>): InternalMapState<UK, UV> {
    return this.#register(d.name, 'map', d.ttl, (t) => new HeapMapState<UK, UV>(this, t))
  }

  reducingState<T>(d: ReducingStateDescriptor<T>): InternalReducingState<T> {
    return this.#register(d.name, 'reducing', d.ttl, (t) => new HeapReducingState<T>(this, t, d.reduce))
  }

  aggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): InternalAggregatingState<IN, OUT> {
    return this.#register(d.name, 'aggregating', d.ttl, (t) => new HeapAggregatingState<IN, ACC, OUT>(this, t, d.aggregate))
  }

  timerQueue(name: string): TimerQueue {
    let q = this.#timerQueues.get(name)
    if (q === undefined) {
      q = new HeapTimerQueue()
      this.#timerQueues.set(name, q)
    }
    return q
  }

  cleanupExpired(budget: number): number {
    let removed = 0
    this.#cleanup ??= this.#scan()
    for (let i = 0; i < budget; i++) {
      const step = this.#cleanup.next()
      if (step.done === true) {
        // One full pass per call at most; the next call starts over.
        this.#cleanup = undefined
        break
      }
      removed += step.value
    }
    return removed
  }

  entryCount(stateName?: string): number {
    let n = 0
    for (const table of this.#tables.values()) {
      if (stateName !== undefined && table.name !== stateName) continue
      for (const entry of table.data.values()) n += entry.byNamespace.size
    }
    return n
  }

  keys(stateName: string): unknown[] {
    const table = this.#tables.get(stateName)
    return table === undefined ? [] : [...table.data.values()].map((e) => e.key)
  }

  /** Visits every (key, namespace) entry of TTL states once, yielding how many entries it dropped. */
  *#scan(): Generator<number> {
    for (const table of [...this.#tables.values()]) {
      if (table.ttl === undefined) continue
      for (const [keyId, entry] of table.data) {
        for (const [ns, raw] of entry.byNamespace) {
          const kept = table.prune(raw, this.clock.now())
          if (kept === undefined) {
            table.delete(keyId, ns)
            yield 1
          } else {
            if (kept !== raw) entry.byNamespace.set(ns, kept)
            yield 0
          }
        }
      }
    }
  }

  #register<H>(name: string, kind: StateKind, ttl: StateTtlConfig | undefined, create: (t: Table) => H): H {
    const existing = this.#handles.get(name)
    if (existing !== undefined) {
      if (existing.kind !== kind) {
        throw new TributaryError(ErrorCode.STATE_ERROR, `state "${name}" is already registered as ${existing.kind} state, not ${kind}`)
      }
      return existing.handle as H
    }
    const table = new Table(name, kind, ttl)
    this.#tables.set(name, table)
    const handle = create(table)
    this.#handles.set(name, { kind, handle })
    return handle
  }
}
