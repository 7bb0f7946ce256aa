/**
 * @module Process functions, as Flink's: the lowest-level operators, with access to the element's
 * timestamp, the watermark, side outputs and (keyed) state and timers. Contexts are reused across
 * elements, so keep no reference to them.
 *
 * A function object is shared by the tasks that run it; the runtime gives each task its own
 * instance with Object.create(fn), so fields set in `open` (state handles) stay per task.
 */
import { type OutputTag } from './output-tag.ts'
import { type KeyedStateStore } from './state.ts'

export interface Collector<T> {
  /** Emits with the timestamp of the element (or timer) being processed. */
  collect(value: T): void
  collectWithTimestamp(value: T, timestamp: number): void
}

export interface RuntimeContext {
  readonly jobName: string
  readonly operatorName: string
  /** Index of this task among the tasks running the operator. */
  readonly taskIndex: number
  readonly taskCount: number
}

export interface KeyedRuntimeContext extends RuntimeContext, KeyedStateStore {}

export interface ProcessContext {
  /** Event time of the element; undefined when it has none. */
  readonly timestamp: number | undefined
  currentWatermark(): number
  currentProcessingTime(): number
  output<X>(tag: OutputTag<X>, value: X): void
}

export interface ProcessFunction<IN, OUT> {
  open?(ctx: RuntimeContext): void
  processElement(value: IN, ctx: ProcessContext, out: Collector<OUT>): void
  close?(): void
}

export interface TimerService {
  currentProcessingTime(): number
  currentWatermark(): number
  /** Fires onTimer once the watermark reaches `time`; one timer per key and time. */
  registerEventTimeTimer(time: number): void
  registerProcessingTimeTimer(time: number): void
  deleteEventTimeTimer(time: number): void
  deleteProcessingTimeTimer(time: number): void
}

export interface KeyedProcessContext<K> extends ProcessContext {
  getCurrentKey(): K
  readonly timerService: TimerService
}

export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  readonly timeDomain: 'event' | 'processing'
}

export interface KeyedProcessFunction<K, IN, OUT> {
  /** Register state here: `this.count = ctx.getState(new ValueStateDescriptor('count'))`. */
  open?(ctx: KeyedRuntimeContext): void
  processElement(value: IN, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void
  /** Event-time timers emit with the timer's time as timestamp; processing-time ones with none. */
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void
  close?(): void
}
