/**
 * @module A task: one instance of a stage's operator chain, reading one partition of each of the
 * stage's inputs (Kafka Streams' task-per-partition model). Inputs arrive as letters in a mailbox
 * (batches, watermarks, idleness, end of input, tagged with the sending upstream task) and are
 * processed one at a time; after each letter the task awaits pending sink and exchange writes
 * before the next, so backpressure reaches the readers that fill the mailbox.
 *
 * An input fed by several upstream tasks (an exchange) combines their watermarks by minimum.
 */
import { type Edge, type OperatorNode } from './operator-node.ts'
import { StatusWatermarkValve } from './status-watermark-valve.ts'

export type Letter = (
  | { kind: 'batch'; input: number; sender: number; values: readonly unknown[]; timestamps: readonly number[] }
  | { kind: 'watermark'; input: number; sender: number; watermark: number }
  | { kind: 'idle'; input: number; sender: number; idle: boolean }
  | { kind: 'end'; input: number; sender: number }
) & {
  /** Called once the letter is processed and its writes are done (offset commits). */
  onDone?: () => void
}

export interface TaskInputSpec {
  readonly name: string
  readonly targets: readonly Edge[]
  /** Upstream tasks writing into this input (1 for a source partition). */
  readonly senders: number
}

class TaskInput {
  readonly spec: TaskInputSpec
  readonly valve: StatusWatermarkValve | undefined
  readonly ended: boolean[]
  endedCount = 0

  constructor(spec: TaskInputSpec) {
    this.spec = spec
    this.ended = new Array<boolean>(spec.senders).fill(false)
    this.valve =
      spec.senders > 1
        ? new StatusWatermarkValve(spec.senders, {
            onWatermark: (wm) => {
              for (const t of spec.targets) t.node.pushWatermark(t.input, wm)
            },
            onIdle: (idle) => {
              for (const t of spec.targets) t.node.pushIdle(t.input, idle)
            },
          })
        : undefined
  }
}

export interface TaskOptions {
  stage: number
  index: number
  count: number
  nodes: readonly OperatorNode[]
  inputs: readonly TaskInputSpec[]
  /** Letters the mailbox holds before writers must wait (Infinity: never wait). */
  capacity: number
}

export class StreamTask {
  readonly stage: number
  readonly index: number
  readonly count: number
  readonly nodes: readonly OperatorNode[]
  readonly #inputs: TaskInput[]
  readonly #capacity: number
  #queue: Letter[] = []
  #head = 0
  #onLetter: (() => void) | undefined
  #onSpace: (() => void)[] = []
  #onIdle: (() => void)[] = []
  #draining = false
  #halted = false

  constructor(options: TaskOptions) {
    this.stage = options.stage
    this.index = options.index
    this.count = options.count
    this.nodes = options.nodes
    this.#inputs = options.inputs.map((s) => new TaskInput(s))
    this.#capacity = options.capacity
  }

  get name(): string {
    return `stage-${this.stage}/task-${this.index}`
  }

  open(): void {
    for (const n of this.nodes) n.open()
  }

  /** Every operator saw the end of all its inputs. */
  get finished(): boolean {
    return this.nodes.every((n) => n.finished)
  }

  get queued(): number {
    return this.#queue.length - this.#head
  }

  offer(letter: Letter): void {
    this.#queue.push(letter)
    const wake = this.#onLetter
    if (wake !== undefined) {
      this.#onLetter = undefined
      wake()
    }
  }

  /** Undefined when there is room; otherwise resolves once the mailbox drained below capacity. */
  whenWritable(): Promise<void> | undefined {
    if (this.queued < this.#capacity) return undefined
    return new Promise((resolve) => this.#onSpace.push(resolve))
  }

  /** Resolves when a letter is waiting (at once if one is). */
  whenLetter(): Promise<void> {
    if (this.queued > 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#onLetter = resolve
    })
  }

  /**
   * Undefined when no letter is being processed and none waits (or the task halted); otherwise
   * resolves once that holds. Offsets are committed, and partitions handed over, after this.
   */
  whenIdle(): Promise<void> | undefined {
    if (!this.#draining && (this.queued === 0 || this.#halted)) return undefined
    return new Promise((resolve) => this.#onIdle.push(resolve))
  }

  /** Lets every writer waiting for space go on (the job is stopping; they check their signal). */
  release(): void {
    const waiters = this.#onSpace
    this.#onSpace = []
    for (const w of waiters) w()
  }

  /** The job stops: the letter in progress is finished, the others stay unprocessed (and uncommitted). */
  halt(): void {
    this.#halted = true
    if (!this.#draining) this.#signalIdle()
  }

  /** Wakes a pending whenLetter without a letter (processing-time deadline, cancellation). */
  wake(): void {
    const wake = this.#onLetter
    this.#onLetter = undefined
    wake?.()
  }

  /** Processes every queued letter, awaiting asynchronous writes between letters. */
  async drain(): Promise<void> {
    this.#draining = true
    try {
      await this.#drainLetters()
    } finally {
      this.#draining = false
      if (this.queued === 0 || this.#halted) this.#signalIdle()
    }
  }

  async #drainLetters(): Promise<void> {
    while (this.queued > 0 && !this.#halted) {
      const letter = this.#queue[this.#head] as Letter
      this.#queue[this.#head++] = undefined as unknown as Letter
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head)
        this.#head = 0
      }
      // The letter left the mailbox: a writer may add one while this one is processed.
      this.#signalSpace()
      this.#handle(letter)
      // The end of an input may finish the task: everything written must be done by then.
      const p = letter.kind === 'end' ? this.flushed() : this.pending()
      if (p !== undefined) await p
      letter.onDone?.()
    }
  }

  /** Runs operators whose processing-time deadline passed (timers, periodic watermarks, sink flushes). */
  advanceProcessingTime(now: number): void {
    for (const n of this.nodes) if (n.operator.nextProcessingTime() <= now) n.onProcessingTime(now)
  }

  nextProcessingTime(): number {
    let next = Number.POSITIVE_INFINITY
    for (const n of this.nodes) {
      const t = n.operator.nextProcessingTime()
      if (t < next) next = t
    }
    return next
  }

  /** Makes operators write out what they buffer across batches; resolves once written. */
  prepareCommit(): Promise<void> | undefined {
    for (const n of this.nodes) n.operator.prepareCommit()
    return this.flushed()
  }

  /** Resolves when every operator can take more input. */
  pending(): Promise<void> | undefined {
    return this.#wait(false)
  }

  /** Resolves when all asynchronous work issued so far is done. */
  flushed(): Promise<void> | undefined {
    return this.#wait(true)
  }

  #wait(all: boolean): Promise<void> | undefined {
    let one: Promise<void> | undefined
    let many: Promise<void>[] | undefined
    for (const n of this.nodes) {
      const p = all ? n.operator.flushed() : n.operator.pending()
      if (p === undefined) continue
      if (one === undefined) one = p
      else (many ??= [one]).push(p)
    }
    return many !== undefined ? Promise.all(many).then(() => undefined) : one
  }

  async close(): Promise<void> {
    let failure: unknown
    for (const n of this.nodes) {
      try {
        await n.operator.close()
      } catch (err) {
        failure ??= err
      }
    }
    if (failure !== undefined) throw failure
  }

  #signalIdle(): void {
    if (this.#onIdle.length === 0) return
    const waiters = this.#onIdle
    this.#onIdle = []
    for (const w of waiters) w()
  }

  #signalSpace(): void {
    if (this.#onSpace.length === 0 || this.queued >= this.#capacity) return
    const waiters = this.#onSpace
    this.#onSpace = []
    for (const w of waiters) w()
  }

  #handle(letter: Letter): void {
    const input = this.#inputs[letter.input] as TaskInput
    const targets = input.spec.targets
    switch (letter.kind) {
      case 'batch':
        for (const t of targets) t.node.pushBatch(t.input, letter.values, letter.timestamps)
        return
      case 'watermark':
        if (input.valve !== undefined) input.valve.inputWatermark(letter.sender, letter.watermark)
        else for (const t of targets) t.node.pushWatermark(t.input, letter.watermark)
        return
      case 'idle':
        if (input.valve !== undefined) input.valve.inputIdle(letter.sender, letter.idle)
        else for (const t of targets) t.node.pushIdle(t.input, letter.idle)
        return
      case 'end':
        if (input.ended[letter.sender] === true) return
        input.ended[letter.sender] = true
        input.endedCount++
        if (input.endedCount < input.spec.senders) {
          // An ended sender holds the combined watermark back no more.
          input.valve?.inputIdle(letter.sender, false)
          input.valve?.inputWatermark(letter.sender, Number.POSITIVE_INFINITY)
          return
        }
        for (const t of targets) t.node.pushEnd(t.input)
        return
    }
  }
}
