/**
 * @module Operator chaining inside a task: a node wraps one operator, combines the watermarks of
 * its inputs, buffers what the operator emits during a batch and hands it to the downstream nodes
 * as one batch (main output and side outputs by tag). Watermarks flush buffered records first, so
 * a watermark never overtakes records emitted before it.
 */
import { type Clock } from '../../util/clock.ts'
import { HeapKeyedStateBackend } from './heap-keyed-state-backend.ts'
import { type KeyedStateBackend } from './keyed-state-backend.ts'
import { Counters, Metric } from './metrics.ts'
import { StatusWatermarkValve } from './status-watermark-valve.ts'
import { MAX_WATERMARK, type OperatorContext, type Output, type StreamOperator } from './stream-operator.ts'

export interface Edge {
  readonly node: OperatorNode
  readonly input: number
}

interface Buffer {
  values: unknown[]
  timestamps: number[]
}

export interface NodeInfo {
  jobName: string
  operatorName: string
  taskIndex: number
  taskCount: number
  clock: Clock
  createKeyedStateBackend?: () => KeyedStateBackend
}

export class OperatorNode implements Output {
  readonly operator: StreamOperator
  readonly name: string
  readonly counters = new Counters()
  readonly mainEdges: Edge[] = []
  readonly sideEdges = new Map<string, Edge[]>()
  readonly #valve: StatusWatermarkValve
  readonly #ended: boolean[]
  #endedCount = 0
  #finished = false
  #main: Buffer = { values: [], timestamps: [] }
  readonly #side = new Map<string, Buffer>()
  readonly #info: NodeInfo

  constructor(operator: StreamOperator, inputs: number, info: NodeInfo) {
    this.operator = operator
    this.name = info.operatorName
    this.#info = info
    this.#ended = new Array<boolean>(Math.max(1, inputs)).fill(false)
    this.#valve = new StatusWatermarkValve(Math.max(1, inputs), {
      onWatermark: (wm) => this.operator.processWatermark(wm),
      onIdle: (idle) => this.operator.processIdle(idle),
    })
  }

  get finished(): boolean {
    return this.#finished
  }

  get watermark(): number {
    return this.#valve.watermark
  }

  open(): void {
    const info = this.#info
    const ctx: OperatorContext = {
      output: this,
      clock: info.clock,
      jobName: info.jobName,
      operatorName: info.operatorName,
      taskIndex: info.taskIndex,
      taskCount: info.taskCount,
      metrics: this.counters,
      createKeyedStateBackend: info.createKeyedStateBackend ?? (() => new HeapKeyedStateBackend({ clock: info.clock })),
    }
    this.operator.open(ctx)
  }

  addEdge(tagId: string | undefined, edge: Edge): void {
    if (tagId === undefined) {
      this.mainEdges.push(edge)
      return
    }
    let edges = this.sideEdges.get(tagId)
    if (edges === undefined) {
      edges = []
      this.sideEdges.set(tagId, edges)
    }
    edges.push(edge)
  }

  pushBatch(input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    if (values.length === 0) return
    this.counters.inc(Metric.RECORDS_IN, values.length)
    this.operator.processBatch(input, values, timestamps)
    this.flush()
  }

  pushWatermark(input: number, watermark: number): void {
    this.#valve.inputWatermark(input, watermark)
    this.flush()
  }

  pushIdle(input: number, idle: boolean): void {
    this.#valve.inputIdle(input, idle)
    this.flush()
  }

  /** The input ended: it holds watermarks back no more; once all ended, the operator finishes. */
  pushEnd(input: number): void {
    if (this.#ended[input] === true) return
    this.#ended[input] = true
    this.#endedCount++
    this.#valve.inputIdle(input, false)
    this.#valve.inputWatermark(input, MAX_WATERMARK)
    if (this.#endedCount < this.#ended.length) {
      this.flush()
      return
    }
    this.operator.endInput()
    this.flush()
    this.#finished = true
    for (const e of this.mainEdges) e.node.pushEnd(e.input)
    for (const edges of this.sideEdges.values()) for (const e of edges) e.node.pushEnd(e.input)
  }

  onProcessingTime(now: number): void {
    this.operator.onProcessingTime(now)
    this.flush()
  }

  collect(value: unknown, timestamp: number): void {
    this.#main.values.push(value)
    this.#main.timestamps.push(timestamp)
  }

  collectSide(tagId: string, value: unknown, timestamp: number): void {
    let buf = this.#side.get(tagId)
    if (buf === undefined) {
      buf = { values: [], timestamps: [] }
      this.#side.set(tagId, buf)
    }
    buf.values.push(value)
    buf.timestamps.push(timestamp)
  }

  emitWatermark(watermark: number): void {
    this.flush()
    for (const e of this.mainEdges) e.node.pushWatermark(e.input, watermark)
    for (const edges of this.sideEdges.values()) for (const e of edges) e.node.pushWatermark(e.input, watermark)
  }

  emitIdle(idle: boolean): void {
    this.flush()
    for (const e of this.mainEdges) e.node.pushIdle(e.input, idle)
    for (const edges of this.sideEdges.values()) for (const e of edges) e.node.pushIdle(e.input, idle)
  }

  /** Hands the buffered output downstream as one batch per edge. */
  flush(): void {
    const main = this.#main
    if (main.values.length > 0) {
      this.#main = { values: [], timestamps: [] }
      this.counters.inc(Metric.RECORDS_OUT, main.values.length)
      for (const e of this.mainEdges) e.node.pushBatch(e.input, main.values, main.timestamps)
    }
    if (this.#side.size === 0) return
    for (const [tagId, buf] of this.#side) {
      if (buf.values.length === 0) continue
      this.#side.set(tagId, { values: [], timestamps: [] })
      const edges = this.sideEdges.get(tagId)
      if (edges !== undefined) for (const e of edges) e.node.pushBatch(e.input, buf.values, buf.timestamps)
    }
  }
}
