/**
 * @module The translator: recorded Transformations → stages → tasks.
 *
 * A stage (Kafka Streams' sub-topology) is a connected part of the graph between exchanges: the
 * graph is cut at every keyBy that is not pre-partitioned. Each stage runs as N tasks, N being
 * the largest partition count among its inputs (source partitions, or the exchange's partitions);
 * task i reads partition i of every input. The keyBy itself becomes an ExchangeOperator at the end
 * of the upstream stage; its consumers read the exchange as a task input.
 */
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type OutputTag } from '../api/output-tag.ts'
import { type Transformation, type WindowSpec } from '../api/transformation.ts'
import { EventSlidingWindows } from '../api/window-assigner.ts'
import { type TimeWindow } from '../api/window.ts'
import { type ProcessWindowFunction } from '../api/window-function.ts'
import { EventSlidingWindowOperator } from './event-sliding-window-operator.ts'
import { ExchangeOperator, type ExchangeSender } from './exchange.ts'
import { KeyedAggregateOperator, KeyedProcessOperator, type KeySelector } from './keyed-operators.ts'
import { OperatorNode } from './operator-node.ts'
import { SinkOperator } from './sink-operator.ts'
import { PassThroughSourceOperator, TopicSourceOperator } from './source-operators.ts'
import { FilterOperator, FlatMapOperator, MapOperator, ProcessOperator, UnionOperator } from './stateless-operators.ts'
import { type StreamOperator } from './stream-operator.ts'
import { StreamTask, type TaskInputSpec } from './task.ts'
import { TimestampsAndWatermarksOperator } from './timestamps-and-watermarks-operator.ts'
import { WindowOperator } from './window-operator.ts'

export type StageInput =
  | { kind: 'source'; transformation: Transformation }
  | { kind: 'exchange'; keyBy: Transformation; fromStage: number }

export interface Stage {
  readonly id: number
  /** In creation order, which is topological. */
  readonly transformations: Transformation[]
  readonly inputs: StageInput[]
  /** Exchanges this stage sends into (its keyBy nodes that feed other stages). */
  readonly exchanges: Transformation[]
}

export interface JobGraph {
  /** Upstream stages first. */
  readonly stages: Stage[]
  readonly stageOf: Map<Transformation, number>
}

/** A keyBy that needs an exchange (vs. a pre-partitioned one, which is a pass-through). */
export function isExchange(t: Transformation): boolean {
  return t.spec.kind === 'keyBy' && !t.spec.prePartitioned
}

export function buildJobGraph(all: readonly Transformation[]): JobGraph {
  const used = reachableFromSinks(all)
  const parent = new Map<Transformation, Transformation>()
  const find = (t: Transformation): Transformation => {
    let r = t
    while (parent.get(r) !== r) r = parent.get(r) as Transformation
    parent.set(t, r)
    return r
  }
  const union = (a: Transformation, b: Transformation): void => {
    const ra = find(a)
    const rb = find(b)
    if (ra !== rb) parent.set(rb.id < ra.id ? ra : rb, rb.id < ra.id ? rb : ra)
  }
  for (const t of used) parent.set(t, t)
  const firstConsumer = new Map<Transformation, Transformation>()
  for (const t of used) {
    for (const input of t.inputs) {
      if (!isExchange(input)) {
        union(t, input)
        continue
      }
      // All consumers of one exchange share a stage, so one set of tasks reads it.
      const other = firstConsumer.get(input)
      if (other === undefined) firstConsumer.set(input, t)
      else union(t, other)
    }
  }
  const groups = new Map<Transformation, Transformation[]>()
  for (const t of used) {
    const r = find(t)
    let g = groups.get(r)
    if (g === undefined) {
      g = []
      groups.set(r, g)
    }
    g.push(t)
  }
  // Order stages so every exchange's sender stage comes before its receiver stage.
  const members = [...groups.values()]
  const memberOf = new Map<Transformation, number>()
  members.forEach((g, i) => g.forEach((t) => memberOf.set(t, i)))
  const order: number[] = []
  const state = new Map<number, 'visiting' | 'done'>()
  const visit = (i: number): void => {
    if (state.get(i) === 'done') return
    if (state.get(i) === 'visiting') throw new TributaryError(ErrorCode.INVALID_CONFIG, 'the job graph has a cycle')
    state.set(i, 'visiting')
    for (const t of members[i] as Transformation[]) {
      for (const input of t.inputs) if (isExchange(input)) visit(memberOf.get(input) as number)
    }
    state.set(i, 'done')
    order.push(i)
  }
  members.forEach((_, i) => visit(i))
  const stageOf = new Map<Transformation, number>()
  order.forEach((m, id) => (members[m] as Transformation[]).forEach((t) => stageOf.set(t, id)))
  const stages: Stage[] = order.map((m, id) => {
    const ts = (members[m] as Transformation[]).sort((a, b) => a.id - b.id)
    const inputs: StageInput[] = []
    const seen = new Set<Transformation>()
    for (const t of ts) {
      if (t.spec.kind === 'source') inputs.push({ kind: 'source', transformation: t })
      for (const input of t.inputs) {
        if (isExchange(input) && !seen.has(input)) {
          seen.add(input)
          inputs.push({ kind: 'exchange', keyBy: input, fromStage: stageOf.get(input) as number })
        }
      }
    }
    return { id, transformations: ts, inputs, exchanges: ts.filter(isExchange) }
  })
  return { stages, stageOf }
}

function reachableFromSinks(all: readonly Transformation[]): Transformation[] {
  const seen = new Set<Transformation>()
  const stack = all.filter((t) => t.spec.kind === 'sink')
  while (stack.length > 0) {
    const t = stack.pop() as Transformation
    if (seen.has(t)) continue
    seen.add(t)
    stack.push(...t.inputs)
  }
  return [...seen].sort((a, b) => a.id - b.id)
}

/** The key selector of a keyed operator: from the keyBy it reads. */
function keySelectorOf(t: Transformation): KeySelector<unknown, unknown> {
  const input = t.inputs[0]
  if (input?.spec.kind !== 'keyBy') throw new TributaryError(ErrorCode.INVALID_CONFIG, `${t.name} needs a keyed input`)
  return input.spec.keySelector
}

export function createOperator(t: Transformation, watermarkIntervalMs: number): StreamOperator {
  const spec = t.spec
  switch (spec.kind) {
    case 'source':
      return spec.source.kind === 'topic'
        ? new TopicSourceOperator({ format: spec.source.format, toElement: spec.source.toElement, errorTag: spec.source.errorTag })
        : new PassThroughSourceOperator()
    case 'map':
      return new MapOperator(spec.fn)
    case 'flatMap':
      return new FlatMapOperator(spec.fn)
    case 'filter':
      return new FilterOperator(spec.fn)
    case 'process':
      return new ProcessOperator(spec.fn)
    case 'timestamps':
      return new TimestampsAndWatermarksOperator(spec.strategy, watermarkIntervalMs)
    case 'union':
      return new UnionOperator()
    case 'keyedProcess':
      return new KeyedProcessOperator(keySelectorOf(t), spec.fn)
    case 'keyedAggregate':
      return new KeyedAggregateOperator(keySelectorOf(t), spec.fn)
    case 'window':
      return createWindowOperator(t, spec)
    case 'sink':
      return new SinkOperator(spec.sink)
    case 'sideOutput':
    case 'keyBy':
      throw new TributaryError(ErrorCode.ILLEGAL_STATE, `${spec.kind} is not an operator`)
  }
}

function createWindowOperator(t: Transformation, spec: WindowSpec): StreamOperator {
  const keySelector = keySelectorOf(t)
  if (spec.assigner instanceof EventSlidingWindows) {
    if (spec.trigger !== undefined || spec.evictor !== undefined) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, 'EventSlidingWindows fire per event; they take no trigger or evictor')
    }
    return new EventSlidingWindowOperator({
      keySelector,
      range: spec.assigner.range,
      allowedLateness: spec.allowedLateness,
      lateTag: spec.lateTag,
      contents: spec.contents,
      windowFunction: spec.windowFunction as ProcessWindowFunction<unknown, unknown, unknown, TimeWindow> | undefined,
    })
  }
  return new WindowOperator({
    keySelector,
    assigner: spec.assigner,
    trigger: spec.trigger ?? spec.assigner.defaultTrigger(),
    evictor: spec.evictor,
    allowedLateness: spec.allowedLateness,
    lateTag: spec.lateTag,
    contents: spec.contents,
    windowFunction: spec.windowFunction,
  })
}

export interface TaskEnvironment {
  jobName: string
  clock: Clock
  watermarkIntervalMs: number
  mailboxCapacity: number
  /** Upstream task count of an exchange this stage reads. */
  sendersOf(keyBy: Transformation): number
  /** The sending side of an exchange for one upstream task. */
  exchangeSender(keyBy: Transformation, taskIndex: number): ExchangeSender
}

/** Where a transformation's output comes from: its node, or a side output of another node. */
interface Endpoint {
  producer: Transformation
  tag: OutputTag<unknown> | undefined
}

function endpointOf(t: Transformation): Endpoint {
  if (t.spec.kind === 'sideOutput') {
    let producer = t.inputs[0] as Transformation
    // Side outputs of a source stay reachable through the watermark assigner fromTopic adds.
    while (producer.spec.kind === 'timestamps') producer = producer.inputs[0] as Transformation
    return { producer: endpointOf(producer).producer, tag: t.spec.tag }
  }
  if (t.spec.kind === 'keyBy' && t.spec.prePartitioned) return endpointOf(t.inputs[0] as Transformation)
  return { producer: t, tag: undefined }
}

/** Builds one task of a stage. Task inputs are numbered as `stage.inputs`. */
export function createTask(graph: JobGraph, stage: Stage, index: number, count: number, env: TaskEnvironment): StreamTask {
  const nodes = new Map<Transformation, OperatorNode>()
  const info = (t: Transformation) => ({
    jobName: env.jobName,
    operatorName: t.name,
    taskIndex: index,
    taskCount: count,
    clock: env.clock,
  })
  for (const t of stage.transformations) {
    const kind = t.spec.kind
    if (kind === 'sideOutput' || (kind === 'keyBy' && t.spec.prePartitioned)) continue
    const op = isExchange(t)
      ? new ExchangeOperator((t.spec as { keySelector: KeySelector<unknown, unknown> }).keySelector, () => env.exchangeSender(t, index))
      : createOperator(t, env.watermarkIntervalMs)
    const inputs = kind === 'source' ? 1 : t.inputs.length
    nodes.set(t, new OperatorNode(op, inputs, info(t)))
  }
  const exchangeTargets = new Map<Transformation, { node: OperatorNode; input: number }[]>()
  for (const t of stage.transformations) {
    const node = nodes.get(t)
    if (node === undefined) continue
    t.inputs.forEach((input, j) => {
      if (isExchange(input) && graph.stageOf.get(input) !== stage.id) {
        let targets = exchangeTargets.get(input)
        if (targets === undefined) {
          targets = []
          exchangeTargets.set(input, targets)
        }
        targets.push({ node, input: j })
        return
      }
      const { producer, tag } = endpointOf(input)
      const from = nodes.get(producer)
      if (from === undefined) throw new TributaryError(ErrorCode.ILLEGAL_STATE, `no node for ${producer.name}`)
      from.addEdge(tag?.id, { node, input: j })
    })
  }
  const inputs: TaskInputSpec[] = stage.inputs.map((si) => {
    if (si.kind === 'source') {
      return { name: si.transformation.name, targets: [{ node: nodes.get(si.transformation) as OperatorNode, input: 0 }], senders: 1 }
    }
    return { name: si.keyBy.name, targets: exchangeTargets.get(si.keyBy) ?? [], senders: env.sendersOf(si.keyBy) }
  })
  const ordered = stage.transformations.map((t) => nodes.get(t)).filter((n): n is OperatorNode => n !== undefined)
  return new StreamTask({ stage: stage.id, index, count, nodes: ordered, inputs, capacity: env.mailboxCapacity })
}
