/**
 * @module The window operator, as Flink's WindowOperator: assigner, trigger and window function
 * apart; window contents, trigger state, the merging-window set and the last emitted result all
 * in keyed state (namespace = window), timers in the backend's timer queues.
 *
 * Lateness: a window is late once the watermark passed its end + allowed lateness; an element
 * that fits no live window is late and goes to the late side output, or is dropped and counted.
 * Within the allowed lateness the window's state is kept and every late element fires it again.
 *
 * Results: without a ProcessWindowFunction every firing emits a WindowResult {kind, key, window,
 * value}: 'insert' the first time a (key, window) fires, 'update' after that (early firings,
 * late firings), 'delete' when a fired session window is merged into a larger one.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type AggregateFunction } from '../api/aggregate-function.ts'
import { type WindowResult } from '../api/changelog.ts'
import { type Evictor, type TimestampedValue } from '../api/evictor.ts'
import { type OutputTag } from '../api/output-tag.ts'
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  type ReducingState,
  ReducingStateDescriptor,
  type ValueState,
  ValueStateDescriptor,
} from '../api/state.ts'
import { type OnMergeContext, type Trigger, isFire, isPurge } from '../api/trigger.ts'
import { type Window } from '../api/window.ts'
import { type WindowAssigner, type WindowAssignerContext } from '../api/window-assigner.ts'
import { type ProcessWindowFunction, type WindowContext, type WindowFiring } from '../api/window-function.ts'
import { type InternalValueState, type MergeableState, type TimerEntry } from './keyed-state-backend.ts'
import { type MergedWindow, type MergeFunction, MergingWindowSet } from './merging-window-set.ts'
import { Metric } from './metrics.ts'
import { AbstractKeyedOperator, type KeySelector } from './keyed-operators.ts'
import { TimestampedCollector, instantiate } from './stateless-operators.ts'
import { NO_TIMESTAMP, type OperatorContext } from './stream-operator.ts'
import { InternalTimerService, type Triggerable } from './timer-service.ts'

/** How window contents are kept: one accumulator, one reduced value, or all elements. */
export type WindowContentsSpec =
  | { kind: 'aggregate'; fn: AggregateFunction<unknown, unknown, unknown> }
  | { kind: 'reduce'; fn: (a: unknown, b: unknown) => unknown }
  | { kind: 'list' }

export interface WindowOperatorSpec {
  keySelector: KeySelector<unknown, unknown>
  assigner: WindowAssigner<unknown, Window>
  trigger: Trigger<unknown, Window>
  /** With an evictor the window keeps all elements (with timestamps), evicted before firing. */
  evictor: Evictor<unknown, Window> | undefined
  allowedLateness: number
  lateTag: OutputTag<unknown> | undefined
  contents: WindowContentsSpec
  /** Without one, firings emit WindowResult records. */
  windowFunction: ProcessWindowFunction<unknown, unknown, unknown, Window> | undefined
}

interface ContentsState extends MergeableState {
  add(value: unknown): void
  get(): unknown
}

/** The last emitted result of a (key, window): present once the window fired. */
interface Emitted {
  value: unknown
  firing: WindowFiring
}

const NO_MERGES: readonly string[] = []

class TriggerContextImpl implements OnMergeContext {
  window!: Window
  mergedNamespaces: readonly string[] = NO_MERGES
  readonly #op: WindowOperator

  constructor(op: WindowOperator) {
    this.#op = op
  }

  currentWatermark(): number {
    return this.#op.timers.currentWatermark
  }

  currentProcessingTime(): number {
    return this.#op.now()
  }

  registerEventTimeTimer(time: number): void {
    this.#op.timers.registerEventTimeTimer(this.window.namespace, time)
  }

  deleteEventTimeTimer(time: number): void {
    this.#op.timers.deleteEventTimeTimer(this.window.namespace, time)
  }

  registerProcessingTimeTimer(time: number): void {
    this.#op.timers.registerProcessingTimeTimer(this.window.namespace, time)
  }

  deleteProcessingTimeTimer(time: number): void {
    this.#op.timers.deleteProcessingTimeTimer(this.window.namespace, time)
  }

  getState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    const s = this.#op.stateBackend.valueState(d)
    s.setNamespace(this.window.namespace)
    return s
  }

  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    const s = this.#op.stateBackend.reducingState(d)
    s.setNamespace(this.window.namespace)
    return s
  }

  mergeReducingState<T>(d: ReducingStateDescriptor<T>): void {
    if (this.mergedNamespaces.length === 0) return
    this.#op.stateBackend.reducingState(d).mergeNamespaces(this.window.namespace, this.mergedNamespaces)
  }
}

class WindowContextImpl implements WindowContext<Window> {
  window!: Window
  firing!: WindowFiring
  ts = NO_TIMESTAMP
  readonly #op: WindowOperator

  constructor(op: WindowOperator) {
    this.#op = op
  }

  currentWatermark(): number {
    return this.#op.timers.currentWatermark
  }

  currentProcessingTime(): number {
    return this.#op.now()
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.#op.sideOutput(tag.id, value, this.ts)
  }
}

export class WindowOperator extends AbstractKeyedOperator implements Triggerable, WindowAssignerContext {
  readonly #spec: WindowOperatorSpec
  readonly #assigner: WindowAssigner<unknown, Window>
  readonly #trigger: Trigger<unknown, Window>
  readonly #merging: boolean
  timers!: InternalTimerService
  #contents!: ContentsState
  #emitted!: InternalValueState<Emitted>
  #mergingSet!: MergingWindowSet
  readonly #onMerge: MergeFunction = (key, result, merged, stateNs, mergedStateNs) => this.#mergeWindows(key, result, merged, stateNs, mergedStateNs)
  #tctx!: TriggerContextImpl
  #wctx!: WindowContextImpl
  #fn: ProcessWindowFunction<unknown, unknown, unknown, Window> | undefined
  #collector!: TimestampedCollector<unknown>

  constructor(spec: WindowOperatorSpec) {
    super(spec.keySelector)
    if (!(spec.allowedLateness >= 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `allowed lateness must be >= 0, got ${spec.allowedLateness}`)
    this.#spec = spec
    this.#assigner = spec.assigner
    this.#trigger = spec.trigger
    this.#merging = spec.assigner.mergeWindows !== undefined
    if (this.#merging && !spec.trigger.canMerge()) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, 'a merging window assigner needs a trigger that can merge')
    }
    if (this.#merging && spec.contents.kind === 'list' && spec.windowFunction === undefined) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, 'window contents without a window function')
    }
  }

  now(): number {
    return this.ctx.clock.now()
  }

  currentProcessingTime(): number {
    return this.ctx.clock.now()
  }

  sideOutput(tagId: string, value: unknown, ts: number): void {
    this.output.collectSide(tagId, value, ts)
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx)
    const b = this.backend
    this.timers = new InternalTimerService('window', b, this)
    const c = this.#spec.contents
    this.#contents =
      this.#spec.evictor !== undefined
        ? (b.listState(new ListStateDescriptor('window-elements')) as unknown as ContentsState)
        : c.kind === 'aggregate'
        ? b.aggregatingState(new AggregatingStateDescriptor('window-contents', c.fn))
        : c.kind === 'reduce'
          ? b.reducingState(new ReducingStateDescriptor('window-contents', c.fn))
          : (b.listState(new ListStateDescriptor('window-contents')) as unknown as ContentsState)
    this.#emitted = b.valueState(new ValueStateDescriptor<Emitted>('window-emitted'))
    if (this.#merging) this.#mergingSet = new MergingWindowSet(b.valueState(new ValueStateDescriptor<MergedWindow[]>('merging-window-set')), this.#assigner)
    this.#tctx = new TriggerContextImpl(this)
    this.#wctx = new WindowContextImpl(this)
    this.#collector = new TimestampedCollector(ctx.output)
    const fn = this.#spec.windowFunction
    if (fn !== undefined) {
      this.#fn = instantiate(fn)
      this.#fn.open?.(this.runtimeContext())
    }
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const assigner = this.#assigner
    let late = 0
    for (let i = 0; i < values.length; i++) {
      const value = values[i]
      const ts = timestamps[i] as number
      if (assigner.isEventTime && ts === NO_TIMESTAMP) {
        throw new TributaryError(ErrorCode.ILLEGAL_STATE, `${this.ctx.operatorName}: an element has no timestamp; event-time windows need assignTimestampsAndWatermarks() or timestamped sources`)
      }
      const key = this.keySelector(value)
      this.backend.setCurrentKey(key)
      const windows = assigner.assignWindows(value, ts, this)
      const skipped = this.#merging ? this.#processMerging(key, value, ts, windows) : this.#processPlain(key, value, ts, windows)
      if (skipped && assigner.isEventTime && ts + this.#spec.allowedLateness <= this.timers.currentWatermark) {
        late++
        const tag = this.#spec.lateTag
        if (tag !== undefined) this.output.collectSide(tag.id, value, ts)
      }
    }
    if (late > 0) this.ctx.metrics.inc(this.#spec.lateTag === undefined ? Metric.LATE_RECORDS_DROPPED : Metric.LATE_RECORDS_SIDE_OUTPUT, late)
    this.cleanupState(values.length)
  }

  /** Returns true when the element went into no window (all late). */
  #processPlain(key: unknown, value: unknown, ts: number, windows: readonly Window[]): boolean {
    let skipped = true
    for (const w of windows) {
      if (this.#isWindowLate(w)) continue
      skipped = false
      this.#contents.setNamespace(w.namespace)
      this.#contents.add(this.#spec.evictor === undefined ? value : ({ v: value, t: ts } satisfies TimestampedValue<unknown>))
      this.#tctx.window = w
      const r = this.#trigger.onElement(value, ts, w, this.#tctx)
      if (isFire(r)) this.#fire(key, w, w.namespace, false)
      if (isPurge(r)) this.#purge(w, w.namespace)
      this.#registerCleanupTimer(w)
    }
    return skipped
  }

  #processMerging(key: unknown, value: unknown, ts: number, windows: readonly Window[]): boolean {
    let skipped = true
    const set = this.#mergingSet
    set.load()
    for (const w of windows) {
      const added = set.addWindow(w, key, this.#onMerge)
      const actual = added.window
      if (this.#isWindowLate(actual)) {
        set.retire(actual.namespace)
        continue
      }
      skipped = false
      const stateNs = added.stateNs
      this.#contents.setNamespace(stateNs)
      this.#contents.add(this.#spec.evictor === undefined ? value : ({ v: value, t: ts } satisfies TimestampedValue<unknown>))
      this.#tctx.window = actual
      const r = this.#trigger.onElement(value, ts, actual, this.#tctx)
      if (isFire(r)) this.#fire(key, actual, stateNs, false)
      if (isPurge(r)) this.#purge(actual, stateNs)
      this.#registerCleanupTimer(actual)
    }
    set.persist()
    return skipped
  }

  override processWatermark(watermark: number): void {
    this.currentWatermark = watermark
    this.timers.advanceWatermark(watermark)
    this.output.emitWatermark(watermark)
  }

  override nextProcessingTime(): number {
    return this.timers.nextProcessingTime()
  }

  override onProcessingTime(now: number): void {
    this.timers.advanceProcessingTime(now)
  }

  onEventTimer(timer: TimerEntry): void {
    this.#onTimer(timer, true)
  }

  onProcessingTimer(timer: TimerEntry): void {
    this.#onTimer(timer, false)
  }

  #onTimer(timer: TimerEntry, eventTime: boolean): void {
    const window = this.#assigner.windowFromNamespace(timer.namespace)
    let stateNs = window.namespace
    let set: MergingWindowSet | undefined
    if (this.#merging) {
      set = this.#mergingSet
      set.load()
      const s = set.stateNamespaceOf(window.namespace)
      // A timer of a window that was merged away (its own timers were deleted at merge time).
      if (s === undefined) return
      stateNs = s
    }
    this.#tctx.window = window
    const cleanup = eventTime === this.#assigner.isEventTime && timer.time === this.#cleanupTime(window)
    const r = eventTime ? this.#trigger.onEventTime(timer.time, window, this.#tctx) : this.#trigger.onProcessingTime(timer.time, window, this.#tctx)
    if (isFire(r)) this.#fire(timer.key, window, stateNs, true, !cleanup)
    if (isPurge(r)) this.#purge(window, stateNs)
    if (cleanup) {
      this.#clearContents(stateNs)
      this.#trigger.clear(window, this.#tctx)
      this.#emitted.setNamespace(window.namespace)
      this.#emitted.clear()
      set?.retire(window.namespace)
    }
    set?.persist()
  }

  /** The window's result (or element list): from the state, or from the evicted element list. */
  #read(window: Window, stateNs: string): unknown {
    this.#contents.setNamespace(stateNs)
    const evictor = this.#spec.evictor
    if (evictor === undefined) return this.#contents.get()
    const all = this.#contents.get() as TimestampedValue<unknown>[]
    const kept = evictor.evictBefore(all, window, { currentWatermark: () => this.timers.currentWatermark })
    if (kept.length !== all.length) (this.#contents as unknown as { update(v: unknown[]): void }).update(kept)
    if (kept.length === 0) return undefined
    const c = this.#spec.contents
    if (c.kind === 'list') return kept.map((e) => e.v)
    if (c.kind === 'reduce') {
      let acc = (kept[0] as TimestampedValue<unknown>).v
      for (let i = 1; i < kept.length; i++) acc = c.fn(acc, (kept[i] as TimestampedValue<unknown>).v)
      return acc
    }
    let acc = c.fn.createAccumulator()
    for (const e of kept) acc = c.fn.add(acc, e.v)
    return c.fn.getResult(acc)
  }

  /** `remember`: keep what was emitted (for updates and retractions); false when the window is cleaned up right after. */
  #fire(key: unknown, window: Window, stateNs: string, byTimer: boolean, remember = true): void {
    const result = this.#read(window, stateNs)
    const isList = this.#spec.contents.kind === 'list'
    if (result === undefined || (isList && (result as unknown[]).length === 0)) return
    this.#emitted.setNamespace(window.namespace)
    const previous = this.#emitted.value()
    const eventTime = this.#assigner.isEventTime
    const beforeEnd = eventTime && window.maxTimestamp() > this.timers.currentWatermark
    const firing: WindowFiring = {
      kind: previous === undefined ? 'insert' : 'update',
      early: beforeEnd,
      late: eventTime && !beforeEnd && !byTimer,
    }
    const max = window.maxTimestamp()
    const ts = Number.isFinite(max) ? max : NO_TIMESTAMP
    const fn = this.#fn
    if (fn === undefined) {
      const change: WindowResult<unknown, unknown, Window> = { kind: firing.kind, key, window, value: result }
      this.output.collect(change, ts)
      if (remember) this.#emitted.update({ value: result, firing })
      return
    }
    this.#collector.timestamp = ts
    this.#wctx.window = window
    this.#wctx.firing = firing
    this.#wctx.ts = ts
    fn.process(key, this.#wctx, isList ? (result as unknown[]) : [result], this.#collector)
    if (remember) this.#emitted.update({ value: undefined, firing })
  }

  /** A fired window disappeared into a larger merged one: retract what it emitted. */
  #retract(key: unknown, window: Window): void {
    this.#emitted.setNamespace(window.namespace)
    const previous = this.#emitted.value()
    if (previous === undefined) return
    this.#emitted.clear()
    const max = window.maxTimestamp()
    const ts = Number.isFinite(max) ? max : NO_TIMESTAMP
    const fn = this.#fn
    if (fn === undefined) {
      const change: WindowResult<unknown, unknown, Window> = { kind: 'delete', key, window, value: previous.value }
      this.output.collect(change, ts)
      return
    }
    if (fn.retract === undefined) return
    this.#collector.timestamp = ts
    this.#wctx.window = window
    this.#wctx.firing = previous.firing
    this.#wctx.ts = ts
    fn.retract(key, this.#wctx, this.#collector)
  }

  #clearContents(stateNs: string): void {
    this.#contents.setNamespace(stateNs)
    this.#contents.clear()
  }

  /** A purge starts the window over: its next result is a new one (deltas), not an update. */
  #purge(window: Window, stateNs: string): void {
    this.#clearContents(stateNs)
    this.#emitted.setNamespace(window.namespace)
    this.#emitted.clear()
  }

  #cleanupTime(w: Window): number {
    const max = w.maxTimestamp()
    return this.#assigner.isEventTime ? max + this.#spec.allowedLateness : max
  }

  #isWindowLate(w: Window): boolean {
    return this.#assigner.isEventTime && this.#cleanupTime(w) <= this.timers.currentWatermark
  }

  #registerCleanupTimer(w: Window): void {
    const t = this.#cleanupTime(w)
    if (t === Number.POSITIVE_INFINITY) return
    if (this.#assigner.isEventTime) this.timers.registerEventTimeTimer(w.namespace, t)
    else this.timers.registerProcessingTimeTimer(w.namespace, t)
  }

  #deleteCleanupTimer(w: Window): void {
    const t = this.#cleanupTime(w)
    if (t === Number.POSITIVE_INFINITY) return
    if (this.#assigner.isEventTime) this.timers.deleteEventTimeTimer(w.namespace, t)
    else this.timers.deleteProcessingTimeTimer(w.namespace, t)
  }

  #mergeWindows(key: unknown, result: Window, merged: readonly Window[], stateNs: string, mergedStateNs: readonly string[]): void {
    const tctx = this.#tctx
    tctx.window = result
    tctx.mergedNamespaces = merged.map((w) => w.namespace)
    this.#trigger.onMerge(result, tctx)
    tctx.mergedNamespaces = NO_MERGES
    for (const m of merged) {
      tctx.window = m
      this.#trigger.clear(m, tctx)
      this.#deleteCleanupTimer(m)
      this.#retract(key, m)
    }
    if (mergedStateNs.length > 0) this.#contents.mergeNamespaces(stateNs, mergedStateNs)
  }

  override close(): void {
    this.#fn?.close?.()
  }
}
