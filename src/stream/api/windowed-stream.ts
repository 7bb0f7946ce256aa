/**
 * @module WindowedStream: a keyed stream cut into windows. Assigner, trigger and window function
 * are chosen apart (as in Flink). Lateness: `allowedLateness` keeps window state that long past
 * the window end and re-fires on every late element; later elements go to `sideOutputLateData`,
 * or are dropped and counted (metric lateRecordsDropped).
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type AggregateFunction } from './aggregate-function.ts'
import { type WindowResult } from './changelog.ts'
import { DataStream } from './data-stream.ts'
import { type Evictor } from './evictor.ts'
import { type KeyedStream } from './keyed-stream.ts'
import { type OutputTag } from './output-tag.ts'
import { type Trigger } from './trigger.ts'
import { type WindowContents } from './transformation.ts'
import { type WindowAssigner } from './window-assigner.ts'
import { type Window } from './window.ts'
import { type ProcessWindowFunction } from './window-function.ts'

export class WindowedStream<T, K, W extends Window> {
  readonly #input: KeyedStream<K, T>
  readonly #assigner: WindowAssigner<T, W>
  #trigger: Trigger<T, W> | undefined
  #evictor: Evictor<T, W> | undefined
  #allowedLateness = 0
  #lateTag: OutputTag<T> | undefined

  constructor(input: KeyedStream<K, T>, assigner: WindowAssigner<T, W>) {
    this.#input = input
    this.#assigner = assigner
  }

  trigger(trigger: Trigger<T, W>): this {
    this.#trigger = trigger
    return this
  }

  /** Keep the window's elements and drop some before each firing (sliding count windows). */
  evictor(evictor: Evictor<T, W>): this {
    this.#evictor = evictor
    return this
  }

  allowedLateness(ms: number): this {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `allowed lateness must be >= 0 ms, got ${ms}`)
    this.#allowedLateness = ms
    return this
  }

  sideOutputLateData(tag: OutputTag<T>): this {
    this.#lateTag = tag
    return this
  }

  /** Incremental aggregation; each firing emits a WindowResult (insert / update / delete). */
  aggregate<ACC, OUT>(fn: AggregateFunction<T, ACC, OUT>): DataStream<WindowResult<K, OUT, W>>
  /** Incremental aggregation whose result is handed to a window function with the window. */
  aggregate<ACC, OUT, R>(fn: AggregateFunction<T, ACC, OUT>, windowFn: ProcessWindowFunction<OUT, R, K, W>): DataStream<R>
  aggregate<ACC, OUT, R>(fn: AggregateFunction<T, ACC, OUT>, windowFn?: ProcessWindowFunction<OUT, R, K, W>): DataStream<WindowResult<K, OUT, W>> | DataStream<R> {
    return this.#build({ kind: 'aggregate', fn: fn as AggregateFunction<unknown, unknown, unknown> }, windowFn) as DataStream<R>
  }

  reduce(fn: (a: T, b: T) => T): DataStream<WindowResult<K, T, W>>
  reduce<R>(fn: (a: T, b: T) => T, windowFn: ProcessWindowFunction<T, R, K, W>): DataStream<R>
  reduce<R>(fn: (a: T, b: T) => T, windowFn?: ProcessWindowFunction<T, R, K, W>): DataStream<WindowResult<K, T, W>> | DataStream<R> {
    return this.#build({ kind: 'reduce', fn: fn as (a: unknown, b: unknown) => unknown }, windowFn) as DataStream<R>
  }

  /** All elements of the window, kept in list state until it fires. */
  process<R>(windowFn: ProcessWindowFunction<T, R, K, W>): DataStream<R> {
    return this.#build({ kind: 'list' }, windowFn) as DataStream<R>
  }

  #build(contents: WindowContents, windowFn: object | undefined): DataStream<unknown> {
    const env = this.#input.env
    const t = env.record(
      {
        kind: 'window',
        assigner: this.#assigner as WindowAssigner<unknown, Window>,
        trigger: this.#trigger as Trigger<unknown, Window> | undefined,
        evictor: this.#evictor as Evictor<unknown, Window> | undefined,
        allowedLateness: this.#allowedLateness,
        lateTag: this.#lateTag as OutputTag<unknown> | undefined,
        contents,
        windowFunction: windowFn as ProcessWindowFunction<unknown, unknown, unknown, Window> | undefined,
      },
      [this.#input.transformation],
    )
    return new DataStream<unknown>(env, t)
  }
}
