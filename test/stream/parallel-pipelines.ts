/**
 * @module Pipelines for parallel-job.test.ts, loaded by each worker thread of runParallelJob.
 * Each reads `args.input` as a bounded topic and writes its results to `args.output`.
 */
import { count, multi, sum } from '../../src/stream/api/aggregates/index.ts'
import { jsonFormat } from '../../src/stream/api/formats.ts'
import { type StreamEnvironment } from '../../src/stream/api/stream-environment.ts'
import { TumblingEventTimeWindows } from '../../src/stream/api/window-assigner.ts'
import { WatermarkStrategy } from '../../src/stream/api/watermark-strategy.ts'
import { type PipelineContext } from '../../src/stream/parallel/parallel-job.ts'

export interface Order {
  id: number
  customer: string
  amount: number
  ts: number
}

export interface PipelineArgs {
  input: string
  output: string
  /** failingPipeline throws on this order id. */
  failAt?: number
  /** statelessPipeline keeps reading (until cancelled). */
  unbounded?: boolean
}

/** filter → map → topic. */
export function statelessPipeline(env: StreamEnvironment, { args }: PipelineContext<PipelineArgs>): void {
  env
    .fromTopic(args.input, { format: jsonFormat<Order>(), bounded: args.unbounded !== true })
    .filter((o) => o.amount % 3 !== 0)
    .map((o) => ({ id: o.id, customer: o.customer, doubled: o.amount * 2 }))
    .toTopic(args.output, { format: jsonFormat(), keyFn: (r) => String(r.id) })
}

/** keyBy customer (repartition topic) → 10 s event-time windows → count and sum → topic. */
export function windowedPipeline(env: StreamEnvironment, { args }: PipelineContext<PipelineArgs>): void {
  env
    .fromTopic(args.input, { format: jsonFormat<Order>(), bounded: true, watermarks: WatermarkStrategy.forBoundedOutOfOrderness<Order>(2_000).withTimestampAssigner((o) => o.ts) })
    .keyBy((o) => o.customer, { name: 'by-customer' })
    .window(TumblingEventTimeWindows.of(10_000))
    .aggregate(multi({ orders: count<Order>(), total: sum<Order>((o) => o.amount) }))
    .toTopic(args.output, { format: jsonFormat() })
}

export function failingPipeline(env: StreamEnvironment, { args }: PipelineContext<PipelineArgs>): void {
  env
    .fromTopic(args.input, { format: jsonFormat<Order>(), bounded: true })
    .map((o) => {
      if (o.id === args.failAt) throw new Error(`cannot price order ${o.id}`)
      return o
    })
    .toTopic(args.output, { format: jsonFormat() })
}

/** Builds, then dies of an uncaught exception outside any task: the thread itself crashes. */
export function crashingPipeline(env: StreamEnvironment, context: PipelineContext<PipelineArgs>): void {
  statelessPipeline(env, context)
  if (context.worker === 1) setImmediate(() => { throw new Error('worker 1 crashed') })
}

/** Worker 0 ends its thread without a word. */
export function exitingPipeline(env: StreamEnvironment, context: PipelineContext<PipelineArgs>): void {
  statelessPipeline(env, context)
  if (context.worker === 0) process.exit(3)
}
