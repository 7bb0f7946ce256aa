/**
 * @module Stateless operators: map, flatMap, filter, union and ProcessFunction. Each loops over the
 * batch; contexts and collectors are allocated once per operator and reused for every element.
 */
import { type OutputTag } from '../api/output-tag.ts'
import { type Collector, type ProcessContext, type ProcessFunction } from '../api/process-function.ts'
import { AbstractStreamOperator, NO_TIMESTAMP, type OperatorContext, type Output } from './stream-operator.ts'

export type FlatMapFunction<T, R> = (value: T, out: Collector<R>) => Iterable<R> | void

/** Emits with the timestamp of the element being processed unless told otherwise. */
export class TimestampedCollector<T> implements Collector<T> {
  timestamp = NO_TIMESTAMP
  readonly #output: Output

  constructor(output: Output) {
    this.#output = output
  }

  collect(value: T): void {
    this.#output.collect(value, this.timestamp)
  }

  collectWithTimestamp(value: T, timestamp: number): void {
    this.#output.collect(value, timestamp)
  }
}

/** Gives each task its own instance of a user function object, so `this` fields stay per task. */
export function instantiate<F extends object>(fn: F): F {
  return Object.create(fn) as F
}

export class MapOperator<T, R> extends AbstractStreamOperator {
  readonly #fn: (value: T) => R

  constructor(fn: (value: T) => R) {
    super()
    this.#fn = fn
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const fn = this.#fn
    const out = this.output
    for (let i = 0; i < values.length; i++) out.collect(fn(values[i] as T), timestamps[i] as number)
  }
}

export class FilterOperator<T> extends AbstractStreamOperator {
  readonly #fn: (value: T) => boolean

  constructor(fn: (value: T) => boolean) {
    super()
    this.#fn = fn
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const fn = this.#fn
    const out = this.output
    for (let i = 0; i < values.length; i++) if (fn(values[i] as T)) out.collect(values[i], timestamps[i] as number)
  }
}

export class FlatMapOperator<T, R> extends AbstractStreamOperator {
  readonly #fn: FlatMapFunction<T, R>
  #collector!: TimestampedCollector<R>

  constructor(fn: FlatMapFunction<T, R>) {
    super()
    this.#fn = fn
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx)
    this.#collector = new TimestampedCollector<R>(ctx.output)
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const c = this.#collector
    const out = this.output
    for (let i = 0; i < values.length; i++) {
      const ts = timestamps[i] as number
      c.timestamp = ts
      const result = this.#fn(values[i] as T, c)
      if (result !== undefined) for (const r of result) out.collect(r, ts)
    }
  }
}

/** Merges its inputs; the combined watermark (minimum over inputs) comes from the node's valve. */
export class UnionOperator extends AbstractStreamOperator {
  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const out = this.output
    for (let i = 0; i < values.length; i++) out.collect(values[i], timestamps[i] as number)
  }
}

class ProcessContextImpl implements ProcessContext {
  ts = NO_TIMESTAMP
  readonly #op: ProcessOperator<unknown, unknown>

  constructor(op: ProcessOperator<unknown, unknown>) {
    this.#op = op
  }

  get timestamp(): number | undefined {
    return this.ts === NO_TIMESTAMP ? undefined : this.ts
  }

  currentWatermark(): number {
    return this.#op.watermark
  }

  currentProcessingTime(): number {
    return this.#op.clockNow()
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.#op.sideOutput(tag.id, value, this.ts)
  }
}

export class ProcessOperator<IN, OUT> extends AbstractStreamOperator {
  readonly #template: ProcessFunction<IN, OUT>
  #fn!: ProcessFunction<IN, OUT>
  #collector!: TimestampedCollector<OUT>
  #pctx!: ProcessContextImpl

  constructor(fn: ProcessFunction<IN, OUT>) {
    super()
    this.#template = fn
  }

  get watermark(): number {
    return this.currentWatermark
  }

  clockNow(): number {
    return this.ctx.clock.now()
  }

  sideOutput(tagId: string, value: unknown, ts: number): void {
    this.output.collectSide(tagId, value, ts)
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx)
    this.#fn = instantiate(this.#template)
    this.#collector = new TimestampedCollector<OUT>(ctx.output)
    this.#pctx = new ProcessContextImpl(this as ProcessOperator<unknown, unknown>)
    this.#fn.open?.({ jobName: ctx.jobName, operatorName: ctx.operatorName, taskIndex: ctx.taskIndex, taskCount: ctx.taskCount })
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const fn = this.#fn
    const c = this.#collector
    const pctx = this.#pctx
    for (let i = 0; i < values.length; i++) {
      const ts = timestamps[i] as number
      c.timestamp = ts
      pctx.ts = ts
      fn.processElement(values[i] as IN, pctx, c)
    }
  }

  override close(): void {
    ;(this.#fn as ProcessFunction<IN, OUT> | undefined)?.close?.()
  }
}
