/**
 * @module Runs a translated job: creates the stages' tasks, wires exchanges, starts source readers,
 * and drives each task in its own asynchronous loop (mailbox letters, then processing-time work
 * scheduled on the injected Clock). A bounded job finishes when every task saw the end of all its
 * inputs (here or, with JobPeers, in another instance of the job); cancel() or the signal stops
 * readers, flushes sinks and closes. Tasks of topic-fed stages start when their partitions are
 * assigned and stop when they are revoked for good; a stopped task's slot gets a fresh instance.
 *
 * All tasks of an instance share its event loop; runParallelJob (src/stream/parallel) runs
 * instances in worker threads.
 */
import { type TimerHandle } from '../../util/clock.ts'
import { ErrorCode, TributaryError, toTributaryError } from '../../util/errors.ts'
import { type JobHandle, type JobMetrics, type JobResult } from '../api/job-handle.ts'
import { type ResolvedEnvironmentOptions } from '../api/stream-environment.ts'
import { type Transformation } from '../api/transformation.ts'
import { type ExchangeSender, InMemoryExchange } from './exchange.ts'
import { type JobGraph, type Stage, type TaskEnvironment, buildJobGraph, createTask } from './job-graph.ts'
import { mergeCounters } from './metrics.ts'
import { readCollection, readGenerator } from './source-readers.ts'
import { type StreamTask } from './task.ts'
import { TopicRuntime } from './topic-runtime.ts'

export interface JobDefinition {
  name: string
  transformations: readonly Transformation[]
  options: ResolvedEnvironmentOptions
}

export function runJob(def: JobDefinition, signal?: AbortSignal): JobHandle {
  const run = new JobRun(def)
  const done = run.start(signal)
  return {
    name: def.name,
    done,
    cancel: () => {
      run.stop()
      return done
    },
    metrics: () => run.metrics(),
  }
}

interface TaskRuntime {
  task: StreamTask
  timer: TimerHandle | undefined
  timerAt: number
  loop: Promise<void> | undefined
  /** Stopped on its own (partition revoked), the job going on. */
  stopped: boolean
}

/** Partition counts and task counts of every stage, from source specs and topic metadata. */
export function planTaskCounts(graph: JobGraph, parallelism: number | undefined, topicPartitions: (topic: string) => number): number[] {
  const counts: number[] = []
  for (const stage of graph.stages) {
    let n = 1
    for (const input of stage.inputs) {
      if (input.kind === 'exchange') {
        n = Math.max(n, parallelism ?? (counts[input.fromStage] as number))
        continue
      }
      const spec = input.transformation.spec
      if (spec.kind !== 'source') continue
      n = Math.max(n, spec.source.kind === 'topic' ? topicPartitions(spec.source.topic) : spec.source.partitions)
    }
    counts.push(n)
  }
  return counts
}

class JobRun {
  readonly #def: JobDefinition
  readonly #graph: JobGraph
  readonly #stopper = new AbortController()
  readonly #tasks: TaskRuntime[] = []
  /** Every task instance that existed, for metrics. */
  #allTasks: StreamTask[] = []
  readonly #opened: StreamTask[] = []
  #topics: TopicRuntime | undefined
  /** The stage consumers; they end (final commits, group left) before tasks close. */
  #topicsRun: Promise<void> | undefined
  #failure: unknown
  #stopping = false
  #counts: number[] = []
  readonly #started = new Set<StreamTask>()
  #byStage: StreamTask[][] = []
  #taskEnv: TaskEnvironment | undefined
  readonly #memory = new Map<Transformation, InMemoryExchange>()
  #total = 0
  /** `stage/index` of tasks that finished, here or in a peer. */
  readonly #finished = new Set<string>()
  #resolveAll!: () => void
  readonly #allFinished = new Promise<void>((resolve) => {
    this.#resolveAll = resolve
  })

  constructor(def: JobDefinition) {
    this.#def = def
    this.#graph = buildJobGraph(def.transformations)
  }

  stop(reason?: unknown): void {
    if (this.#stopping) return
    this.#stopping = true
    if (reason !== undefined) this.#failure ??= reason
    this.#stopper.abort(reason)
    for (const rt of this.#tasks) {
      rt.timer?.cancel()
      rt.task.halt()
      rt.task.release()
      rt.task.wake()
    }
    this.#topics?.stop()
    this.#resolveAll()
  }

  metrics(): JobMetrics {
    const out: JobMetrics = {}
    for (const task of this.#allTasks) for (const n of task.nodes) mergeCounters(out, n.name, n.counters)
    return out
  }

  async start(signal?: AbortSignal): Promise<JobResult> {
    const onAbort = (): void => this.stop()
    if (signal?.aborted === true) this.stop()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await this.#run()
    } catch (err) {
      this.#failure ??= err
      this.stop()
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
    await Promise.allSettled(this.#tasks.map((rt) => rt.loop))
    // Every stage consumer was told to stop (its tasks finished, or the job stops).
    await this.#topicsRun?.catch(() => undefined)
    const closeErrors = await this.#closeAll()
    if (this.#failure !== undefined && !(this.#stopping && isStopError(this.#failure))) throw toTributaryError(this.#failure)
    if (closeErrors !== undefined) throw toTributaryError(closeErrors)
    return { name: this.#def.name, cancelled: this.#stopping && this.#failure === undefined, metrics: this.metrics() }
  }

  async #run(): Promise<void> {
    const { options, name } = this.#def
    const graph = this.#graph
    const needsTopics = graph.stages.some((s) => s.inputs.some((i) => i.kind === 'source' && isTopicSource(i.transformation)))
    const repartitionViaTopic = options.repartition === 'topic' && graph.stages.some((s) => s.exchanges.length > 0)
    if (needsTopics || repartitionViaTopic) {
      if (options.client === undefined) throw new TributaryError(ErrorCode.INVALID_CONFIG, 'topic sources need a StreamEnvironment created with a client')
      this.#topics = new TopicRuntime(name, options.client, options.clock, this.#stopper.signal, options.peers?.members ?? 1)
    }
    const partitions = this.#topics === undefined ? new Map<string, number>() : await this.#topics.partitionCounts(graph)
    this.#counts = planTaskCounts(graph, options.parallelism, (t) => partitions.get(t) ?? 1)
    const memory = this.#memory
    if (repartitionViaTopic) await (this.#topics as TopicRuntime).createRepartitionTopics(graph, this.#counts)
    else {
      for (const stage of graph.stages) {
        for (const input of stage.inputs) {
          if (input.kind === 'exchange') memory.set(input.keyBy, new InMemoryExchange(this.#counts[input.fromStage] as number, this.#counts[stage.id] as number))
        }
      }
    }
    const taskEnv: TaskEnvironment = {
      jobName: name,
      clock: options.clock,
      watermarkIntervalMs: options.autoWatermarkIntervalMs,
      mailboxCapacity: options.mailboxCapacity,
      sendersOf: (keyBy: Transformation) => this.#counts[graph.stageOf.get(keyBy) as number] as number,
      exchangeSender: (keyBy: Transformation, index: number): ExchangeSender => {
        const m = memory.get(keyBy)
        if (m !== undefined) return m.sender(index)
        return (this.#topics as TopicRuntime).exchangeSender(keyBy, index, this.#counts, graph)
      },
    }
    this.#taskEnv = taskEnv
    const byStage: StreamTask[][] = graph.stages.map((stage) =>
      Array.from({ length: this.#counts[stage.id] as number }, (_, i) => createTask(graph, stage, i, this.#counts[stage.id] as number, taskEnv)),
    )
    this.#byStage = byStage
    this.#allTasks = byStage.flat()
    this.#total = this.#allTasks.length
    options.peers?.onFinished((stage, index) => this.#markFinished(stage, index, false))
    for (const stage of graph.stages) {
      stage.inputs.forEach((input, inputIndex) => {
        if (input.kind !== 'exchange') return
        const ex = memory.get(input.keyBy)
        if (ex !== undefined) (byStage[stage.id] as StreamTask[]).forEach((task, p) => ex.connect(p, task, inputIndex))
      })
    }
    // Downstream tasks open first so they are ready when upstream output arrives.
    for (const stage of [...graph.stages].reverse()) {
      for (const task of byStage[stage.id] as StreamTask[]) {
        task.open()
        this.#opened.push(task)
      }
    }
    const stageById = new Map(graph.stages.map((s) => [s.id, s]))
    const start = (task: StreamTask): void => {
      if (this.#started.has(task) || this.#stopping || this.#isFinished(task)) return
      this.#started.add(task)
      const rt: TaskRuntime = { task, timer: undefined, timerAt: Number.NaN, loop: undefined, stopped: false }
      this.#tasks.push(rt)
      rt.loop = this.#loop(rt)
      for (const r of this.#startReaders(stageById.get(task.stage) as Stage, task)) this.#watch(r)
    }
    // Topic-fed stages start a task when its partition is assigned to this instance; tasks of
    // in-memory sources are dealt out over the instances by index.
    const topicFed = new Set(graph.stages.filter((s) => s.inputs.some((i) => (i.kind === 'source' && isTopicSource(i.transformation)) || (i.kind === 'exchange' && memory.get(i.keyBy) === undefined))).map((s) => s.id))
    const peers = options.peers
    for (const stage of graph.stages) {
      if (topicFed.has(stage.id)) continue
      for (const task of byStage[stage.id] as StreamTask[]) if (peers === undefined || task.index % peers.members === peers.index) start(task)
    }
    if (this.#topics !== undefined) {
      this.#topicsRun = this.#topics.run(graph, byStage, this.#counts, partitions, {
        start,
        isRunning: (task) => this.#started.has(task),
        isFinished: (task) => this.#isFinished(task),
        stop: (task) => this.#stopTask(task),
      })
      this.#watch(this.#topicsRun)
    }
    if (this.#finished.size === this.#total) this.#resolveAll()
    await this.#allFinished
  }

  /** A reader or consumer failing fails the job. */
  #watch(p: Promise<void>): void {
    p.catch((err: unknown) => {
      if (!this.#stopper.signal.aborted || !isStopError(err)) this.stop(err)
    })
  }

  #startReaders(stage: Stage, task: StreamTask): Promise<void>[] {
    const out: Promise<void>[] = []
    const signal = this.#stopper.signal
    stage.inputs.forEach((input, inputIndex) => {
      if (input.kind !== 'source') return
      const spec = input.transformation.spec
      if (spec.kind !== 'source' || spec.source.kind === 'topic') return
      const port = { task, input: inputIndex }
      const source = spec.source
      if (task.index >= source.partitions) {
        task.offer({ kind: 'end', input: inputIndex, sender: 0 })
        return
      }
      const p = source.kind === 'collection' ? readCollection(source, task.index, port, signal) : readGenerator(source, task.index, port, this.#def.options.clock, signal)
      out.push(p.catch((err: unknown) => {
        if (!signal.aborted) throw err
      }))
    })
    return out
  }

  #isFinished(task: StreamTask): boolean {
    return this.#finished.has(`${task.stage}/${task.index}`)
  }

  #markFinished(stage: number, index: number, here: boolean): void {
    const key = `${stage}/${index}`
    if (this.#finished.has(key)) return
    this.#finished.add(key)
    if (here) this.#def.options.peers?.finished(stage, index)
    this.#topics?.stageTaskFinished(stage)
    if (this.#total > 0 && this.#finished.size === this.#total) this.#resolveAll()
  }

  /** Stops a running task whose partitions went to another instance; a fresh one takes its slot. */
  async #stopTask(task: StreamTask): Promise<void> {
    const rt = this.#tasks.find((r) => r.task === task)
    if (rt === undefined || this.#stopping) return
    rt.stopped = true
    rt.timer?.cancel()
    task.release()
    task.wake()
    await rt.loop
    this.#tasks.splice(this.#tasks.indexOf(rt), 1)
    this.#started.delete(task)
    this.#opened.splice(this.#opened.indexOf(task), 1)
    await task.close()
    const stage = this.#graph.stages[task.stage] as Stage
    const fresh = createTask(this.#graph, stage, task.index, task.count, this.#taskEnv as TaskEnvironment)
    stage.inputs.forEach((input, inputIndex) => {
      if (input.kind === 'exchange') this.#memory.get(input.keyBy)?.connect(task.index, fresh, inputIndex)
    })
    fresh.open()
    this.#opened.push(fresh)
    this.#allTasks.push(fresh)
    ;(this.#byStage[task.stage] as StreamTask[])[task.index] = fresh
  }

  async #loop(rt: TaskRuntime): Promise<void> {
    const clock = this.#def.options.clock
    const task = rt.task
    try {
      for (;;) {
        if (this.#stopping || rt.stopped) return
        const now = clock.now()
        if (task.nextProcessingTime() <= now) {
          task.advanceProcessingTime(now)
          const p = task.pending()
          if (p !== undefined) await p
        }
        await task.drain()
        if (task.finished) {
          rt.timer?.cancel()
          this.#markFinished(task.stage, task.index, true)
          return
        }
        if (this.#stopping || rt.stopped) return
        this.#schedule(rt)
        await task.whenLetter()
      }
    } catch (err) {
      this.stop(err)
    }
  }

  /** Keeps one clock timer per task at its next processing-time deadline. */
  #schedule(rt: TaskRuntime): void {
    const next = rt.task.nextProcessingTime()
    if (next === rt.timerAt) return
    rt.timer?.cancel()
    rt.timer = undefined
    rt.timerAt = next
    if (next === Number.POSITIVE_INFINITY) return
    const clock = this.#def.options.clock
    rt.timer = clock.setTimeout(() => {
      rt.timer = undefined
      rt.timerAt = Number.NaN
      rt.task.wake()
    }, Math.max(0, next - clock.now()))
  }

  async #closeAll(): Promise<unknown> {
    let failure: unknown
    for (const rt of this.#tasks) rt.timer?.cancel()
    for (const task of this.#opened) {
      try {
        await task.close()
      } catch (err) {
        failure ??= err
      }
    }
    try {
      await this.#topics?.close()
    } catch (err) {
      failure ??= err
    }
    return failure
  }
}

function isTopicSource(t: Transformation): boolean {
  return t.spec.kind === 'source' && t.spec.source.kind === 'topic'
}

function isStopError(err: unknown): boolean {
  return err instanceof TributaryError && err.code === ErrorCode.ABORTED
}
