/**
 * @module Keyed exchange (keyBy across tasks). The sending side is an operator at the end of the
 * upstream stage: it hashes each element's key to a downstream partition, sends one batch per
 * partition and broadcasts watermarks, idleness and end of input to every partition, tagged with
 * its task index so each receiver combines the senders' watermarks by minimum.
 *
 * Transports: in memory (letters straight into downstream mailboxes) and through a repartition
 * topic (repartition-topic.ts) when the job runs on a broker.
 */
import { type KeySelector } from './keyed-operators.ts'
import { type StreamTask } from './task.ts'
import { AbstractStreamOperator } from './stream-operator.ts'

export interface ExchangeSender {
  readonly partitions: number
  partitionOf(key: unknown): number
  send(partition: number, values: unknown[], timestamps: number[]): void
  broadcastWatermark(watermark: number): void
  broadcastIdle(idle: boolean): void
  end(): void
  /** Undefined when everything sent was accepted; else resolves once it is. */
  flush(): Promise<void> | undefined
  close(): Promise<void> | void
}

/** FNV-1a over the key's string form: stable across processes, no allocation for string keys. */
export function hashKey(key: unknown): number {
  const s = typeof key === 'string' ? key : typeof key === 'object' && key !== null ? JSON.stringify(key) : String(key)
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export class ExchangeOperator extends AbstractStreamOperator {
  readonly #keySelector: KeySelector<unknown, unknown>
  readonly #sender: () => ExchangeSender
  #out!: ExchangeSender

  constructor(keySelector: KeySelector<unknown, unknown>, sender: () => ExchangeSender) {
    super()
    this.#keySelector = keySelector
    this.#sender = sender
  }

  override open(ctx: Parameters<AbstractStreamOperator['open']>[0]): void {
    super.open(ctx)
    this.#out = this.#sender()
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const out = this.#out
    const n = out.partitions
    if (n === 1) {
      // Output batches are handed over fresh by the chain and never mutated: no copy needed.
      out.send(0, values as unknown[], timestamps as number[])
      return
    }
    const byPartition: ({ values: unknown[]; timestamps: number[] } | undefined)[] = new Array(n)
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      const p = out.partitionOf(this.#keySelector(v))
      let b = byPartition[p]
      if (b === undefined) {
        b = { values: [], timestamps: [] }
        byPartition[p] = b
      }
      b.values.push(v)
      b.timestamps.push(timestamps[i] as number)
    }
    for (let p = 0; p < n; p++) {
      const b = byPartition[p]
      if (b !== undefined) out.send(p, b.values, b.timestamps)
    }
  }

  override processWatermark(watermark: number): void {
    this.currentWatermark = watermark
    this.#out.broadcastWatermark(watermark)
  }

  override processIdle(idle: boolean): void {
    this.#out.broadcastIdle(idle)
  }

  override endInput(): void {
    this.#out.end()
  }

  override pending(): Promise<void> | undefined {
    return this.#out.flush()
  }

  override close(): Promise<void> | void {
    return this.#out?.close()
  }
}

/** Wires upstream tasks to the downstream tasks' mailboxes of one exchange. */
export class InMemoryExchange {
  readonly senders: number
  readonly partitions: number
  readonly #receivers: ({ task: StreamTask; input: number } | undefined)[]

  constructor(senders: number, partitions: number) {
    this.senders = senders
    this.partitions = partitions
    this.#receivers = new Array(partitions)
  }

  connect(partition: number, task: StreamTask, input: number): void {
    this.#receivers[partition] = { task, input }
  }

  sender(index: number): ExchangeSender {
    const receivers = this.#receivers
    const partitions = this.partitions
    const each = (fn: (r: { task: StreamTask; input: number }) => void): void => {
      for (const r of receivers) if (r !== undefined) fn(r)
    }
    return {
      partitions,
      partitionOf: (key) => hashKey(key) % partitions,
      send: (p, values, timestamps) => {
        const r = receivers[p]
        r?.task.offer({ kind: 'batch', input: r.input, sender: index, values, timestamps })
      },
      broadcastWatermark: (watermark) => each((r) => r.task.offer({ kind: 'watermark', input: r.input, sender: index, watermark })),
      broadcastIdle: (idle) => each((r) => r.task.offer({ kind: 'idle', input: r.input, sender: index, idle })),
      end: () => each((r) => r.task.offer({ kind: 'end', input: r.input, sender: index })),
      flush: () => {
        let waits: Promise<void>[] | undefined
        for (const r of receivers) {
          const w = r?.task.whenWritable()
          if (w !== undefined) (waits ??= []).push(w)
        }
        return waits === undefined ? undefined : Promise.all(waits).then(() => undefined)
      },
      close: () => {},
    }
  }
}
