/**
 * @module Keyed operators: KeyedProcessFunction with state and timers, and rolling reduce /
 * aggregate emitting an update stream. Each operator instance owns a keyed state backend; the
 * key selector runs per element and sets the backend's current key.
 */
import { type AggregateFunction } from '../api/aggregate-function.ts'
import { type Change } from '../api/changelog.ts'
import { type OutputTag } from '../api/output-tag.ts'
import {
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type KeyedRuntimeContext,
  type OnTimerContext,
  type TimerService,
} from '../api/process-function.ts'
import { AggregatingStateDescriptor, type AggregatingState, type KeyedStateStore } from '../api/state.ts'
import { type KeyedStateBackend, type TimerEntry, VOID_NAMESPACE } from './keyed-state-backend.ts'
import { TimestampedCollector, instantiate } from './stateless-operators.ts'
import { AbstractStreamOperator, NO_TIMESTAMP, type OperatorContext } from './stream-operator.ts'
import { InternalTimerService, type Triggerable } from './timer-service.ts'

export type KeySelector<T, K> = (value: T) => K

/** Entries checked for TTL expiry per processed element (Flink's incremental cleanup). */
const TTL_CLEANUP_PER_ELEMENT = 2

export function keyedStateStore(backend: KeyedStateBackend): KeyedStateStore {
  return {
    getState: (d) => backend.valueState(d),
    getListState: (d) => backend.listState(d),
    getMapState: (d) => backend.mapState(d),
    getReducingState: (d) => backend.reducingState(d),
    getAggregatingState: (d) => backend.aggregatingState(d),
  }
}

export abstract class AbstractKeyedOperator extends AbstractStreamOperator {
  protected readonly keySelector: KeySelector<unknown, unknown>
  protected backend!: KeyedStateBackend

  constructor(keySelector: KeySelector<unknown, unknown>) {
    super()
    this.keySelector = keySelector
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx)
    this.backend = ctx.createKeyedStateBackend()
  }

  protected runtimeContext(): KeyedRuntimeContext {
    const ctx = this.ctx
    return {
      jobName: ctx.jobName,
      operatorName: ctx.operatorName,
      taskIndex: ctx.taskIndex,
      taskCount: ctx.taskCount,
      ...keyedStateStore(this.backend),
    }
  }

  protected cleanupState(processed: number): void {
    this.backend.cleanupExpired(processed * TTL_CLEANUP_PER_ELEMENT)
  }

  /** The backend, for tests and metrics. */
  get stateBackend(): KeyedStateBackend {
    return this.backend
  }
}

class KeyedContext implements OnTimerContext<unknown>, TimerService {
  ts = NO_TIMESTAMP
  timeDomain: 'event' | 'processing' = 'event'
  readonly #op: KeyedProcessOperator<unknown, unknown, unknown>

  constructor(op: KeyedProcessOperator<unknown, unknown, unknown>) {
    this.#op = op
  }

  get timestamp(): number | undefined {
    return this.ts === NO_TIMESTAMP ? undefined : this.ts
  }

  get timerService(): TimerService {
    return this
  }

  getCurrentKey(): unknown {
    return this.#op.currentKey
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

  registerEventTimeTimer(time: number): void {
    this.#op.timers.registerEventTimeTimer(VOID_NAMESPACE, time)
  }

  registerProcessingTimeTimer(time: number): void {
    this.#op.timers.registerProcessingTimeTimer(VOID_NAMESPACE, time)
  }

  deleteEventTimeTimer(time: number): void {
    this.#op.timers.deleteEventTimeTimer(VOID_NAMESPACE, time)
  }

  deleteProcessingTimeTimer(time: number): void {
    this.#op.timers.deleteProcessingTimeTimer(VOID_NAMESPACE, time)
  }
}

export class KeyedProcessOperator<K, IN, OUT> extends AbstractKeyedOperator implements Triggerable {
  readonly #template: KeyedProcessFunction<K, IN, OUT>
  #fn!: KeyedProcessFunction<K, IN, OUT>
  #collector!: TimestampedCollector<OUT>
  #kctx!: KeyedContext
  timers!: InternalTimerService

  constructor(keySelector: KeySelector<IN, K>, fn: KeyedProcessFunction<K, IN, OUT>) {
    super(keySelector as KeySelector<unknown, unknown>)
    this.#template = fn
  }

  get currentKey(): unknown {
    return this.backend.currentKey
  }

  now(): number {
    return this.ctx.clock.now()
  }

  sideOutput(tagId: string, value: unknown, ts: number): void {
    this.output.collectSide(tagId, value, ts)
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx)
    this.timers = new InternalTimerService('keyed-process', this.backend, this)
    this.#fn = instantiate(this.#template)
    this.#collector = new TimestampedCollector<OUT>(ctx.output)
    this.#kctx = new KeyedContext(this as KeyedProcessOperator<unknown, unknown, unknown>)
    this.#fn.open?.(this.runtimeContext())
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const fn = this.#fn
    const c = this.#collector
    const kctx = this.#kctx
    kctx.timeDomain = 'event'
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as IN
      const ts = timestamps[i] as number
      this.backend.setCurrentKey(this.keySelector(v))
      c.timestamp = ts
      kctx.ts = ts
      fn.processElement(v, kctx as unknown as KeyedProcessContext<K>, c)
    }
    this.cleanupState(values.length)
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
    this.#fireTimer(timer.time, 'event', timer.time)
  }

  onProcessingTimer(timer: TimerEntry): void {
    this.#fireTimer(timer.time, 'processing', NO_TIMESTAMP)
  }

  #fireTimer(time: number, domain: 'event' | 'processing', ts: number): void {
    const onTimer = this.#fn.onTimer
    if (onTimer === undefined) return
    this.#kctx.timeDomain = domain
    this.#kctx.ts = ts
    this.#collector.timestamp = ts
    onTimer.call(this.#fn, time, this.#kctx as unknown as OnTimerContext<K>, this.#collector)
  }

  override close(): void {
    ;(this.#fn as KeyedProcessFunction<K, IN, OUT> | undefined)?.close?.()
  }
}

/**
 * Rolling keyed aggregation (Flink's keyBy().reduce / aggregate): one accumulator per key, a result
 * per element as an update stream — 'insert' for the first result of a key, then 'update'.
 */
export class KeyedAggregateOperator<K, IN, ACC, OUT> extends AbstractKeyedOperator {
  readonly #fn: AggregateFunction<IN, ACC, OUT>
  #state!: AggregatingState<IN, OUT>

  constructor(keySelector: KeySelector<IN, K>, fn: AggregateFunction<IN, ACC, OUT>) {
    super(keySelector as KeySelector<unknown, unknown>)
    this.#fn = fn
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx)
    this.#state = this.backend.aggregatingState(new AggregatingStateDescriptor('rolling-aggregate', this.#fn))
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const state = this.#state
    const out = this.output
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as IN
      const key = this.keySelector(v) as K
      this.backend.setCurrentKey(key)
      const first = state.get() === undefined
      state.add(v)
      const change: Change<K, OUT> = { kind: first ? 'insert' : 'update', key, value: state.get() as OUT }
      out.collect(change, timestamps[i] as number)
    }
    this.cleanupState(values.length)
  }
}

/** reduce as an aggregate whose accumulator is the running value. */
export function reduceAsAggregate<T>(reduce: (a: T, b: T) => T): AggregateFunction<T, { v: T | undefined; has: boolean }, T> {
  return {
    createAccumulator: () => ({ v: undefined, has: false }),
    add: (acc, value) => {
      acc.v = acc.has ? reduce(acc.v as T, value) : value
      acc.has = true
      return acc
    },
    getResult: (acc) => acc.v as T,
    merge: (a, b) => {
      if (!b.has) return a
      if (!a.has) return b
      a.v = reduce(a.v as T, b.v as T)
      return a
    },
  }
}
