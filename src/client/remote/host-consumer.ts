/**
 * @module The host's side of one remote consumer: a real Consumer of the served client (its own
 * group member) with a rebalance listener that forwards to the remote side and waits for its
 * listener to finish. Batches are pulled from the real iterator one per request; when the remote
 * side stops while a pull is under way and a batch still comes out, the consumer seeks back to its
 * first record, so nothing handed to nobody is skipped.
 *
 * When the served consumer can hand out fetched batches undecoded (the embedded one, see
 * src/client/internal/raw-batches.ts), the host sends those bytes (the broker's read buffer itself
 * transferred, see wireRaw) and the remote side decodes them: this thread, which also runs the
 * broker, never decodes a record. Other consumers' batches are packed record by record (record-codec.ts).
 */
import { type RawPartitionBatches, isRawBatchSource } from '../internal/raw-batches.ts'
import { type Client, type Consumer, type ConsumerBatch, type ConsumerOptions, type SeekTarget, type TopicPartition, type TopicPartitionOffset } from '../types.ts'
import { type WireAssignment, type WireBatch } from './messages.ts'
import { packBatch } from './record-codec.ts'

export interface RebalanceForwarder {
  (kind: 'revoked' | 'assigned', partitions: TopicPartition[], positions?: number[]): Promise<void>
}

interface Iteration {
  readonly it: AsyncIterator<ConsumerBatch | RawPartitionBatches>
  readonly abort: AbortController
  stopped: boolean
  /** The pull in progress, if any. */
  busy: Promise<unknown> | undefined
}

export class HostConsumer {
  readonly consumer: Consumer
  #iteration: Iteration | undefined
  /** Settles once a stopped iteration has fully ended. */
  #ended: Promise<void> = Promise.resolve()

  constructor(client: Client, options: ConsumerOptions, forward: RebalanceForwarder) {
    this.consumer = client.consumer({
      ...options,
      rebalanceListener: {
        onPartitionsRevoked: (tps) => forward('revoked', tps),
        onPartitionsAssigned: (tps) => forward('assigned', tps, tps.map((tp) => this.#positionOf(tp))),
      },
    })
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    await this.consumer.subscribe(topics)
  }

  async assign(partitions: readonly TopicPartition[]): Promise<WireAssignment> {
    await this.consumer.assign(partitions)
    const assigned = this.consumer.assignment()
    return { partitions: assigned, positions: assigned.map((tp) => this.#positionOf(tp)) }
  }

  async seek(tp: TopicPartition, target: SeekTarget): Promise<number> {
    await this.consumer.seek(tp, target)
    return this.#positionOf(tp)
  }

  /** The next batch, or null once the iteration ended (closed, or stopped by the remote side). */
  async next(): Promise<WireBatch | null> {
    let iteration = this.#iteration
    if (iteration === undefined) {
      await this.#ended
      iteration = this.#iteration ?? this.#begin()
    }
    const pull = this.#pull(iteration)
    iteration.busy = pull
    try {
      return await pull
    } finally {
      if (iteration.busy === pull) iteration.busy = undefined
    }
  }

  /** Ends the current iteration (the remote side left its loop or aborted). */
  stop(): void {
    const iteration = this.#iteration
    if (iteration === undefined) return
    this.#iteration = undefined
    iteration.stopped = true
    iteration.abort.abort()
    this.#ended = (async () => {
      await iteration.busy?.catch(() => undefined)
      await iteration.it.return?.(undefined).catch(() => undefined)
    })()
  }

  async commit(offsets: readonly TopicPartitionOffset[] | undefined): Promise<void> {
    await this.consumer.commit(offsets)
  }

  committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return this.consumer.committed(partitions)
  }

  /** Pause and resume come without a reply: a partition revoked meanwhile is simply not there. */
  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) if (this.#owns(tp)) this.consumer.pause([tp])
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) if (this.#owns(tp)) this.consumer.resume([tp])
  }

  async close(): Promise<void> {
    this.stop()
    await this.#ended
    await this.consumer.close()
  }

  #begin(): Iteration {
    const abort = new AbortController()
    const c = this.consumer
    const it: AsyncIterator<ConsumerBatch | RawPartitionBatches> = isRawBatchSource(c)
      ? c.rawBatches({ signal: abort.signal })[Symbol.asyncIterator]()
      : c.batches({ signal: abort.signal })[Symbol.asyncIterator]()
    const iteration: Iteration = { it, abort, stopped: false, busy: undefined }
    this.#iteration = iteration
    return iteration
  }

  async #pull(iteration: Iteration): Promise<WireBatch | null> {
    let r: IteratorResult<ConsumerBatch | RawPartitionBatches>
    try {
      r = await iteration.it.next()
    } catch (err) {
      if (this.#iteration === iteration) this.#iteration = undefined
      throw err
    }
    if (r.done === true) {
      if (this.#iteration === iteration) this.#iteration = undefined
      return null
    }
    if (iteration.stopped) {
      await this.#seekBack(r.value)
      return null
    }
    const b = r.value
    return 'bytes' in b ? wireRaw(b) : packBatch(b)
  }

  async #seekBack(batch: ConsumerBatch | RawPartitionBatches): Promise<void> {
    const first = 'bytes' in batch ? batch.position : batch.records[0]?.offset
    if (first === undefined) return
    await this.consumer.seek({ topic: batch.topic, partition: batch.partition }, first).catch(() => undefined)
  }

  #owns(tp: TopicPartition): boolean {
    return this.consumer.assignment().some((a) => a.topic === tp.topic && a.partition === tp.partition)
  }

  #positionOf(tp: TopicPartition): number {
    try {
      return this.consumer.position(tp)
    } catch {
      return -1
    }
  }
}

/**
 * The fetched bytes for the reply to transfer. The embedded consumer's fetches pass no
 * `readBuffers`, so the broker reads each into a fresh buffer that nothing else keeps (FetchOptions
 * in src/broker/types.ts: "fresh buffers when absent"), and that buffer moves to the worker as it
 * is. One that may be shared is copied: a buffer cut from Node's pool (whose slab is
 * Buffer.poolSize bytes and holds other buffers) or a shared one. allocUnsafeSlow for the copy: its
 * own ArrayBuffer, not zero-filled (as `new ArrayBuffer` would be, four times the cost of the copy).
 */
function wireRaw(b: RawPartitionBatches): WireBatch {
  const { topic, partition, highWatermark, nextOffset, position } = b
  let bytes = b.bytes
  if (!(bytes.buffer instanceof ArrayBuffer) || bytes.buffer.byteLength <= Buffer.poolSize) {
    bytes = Buffer.allocUnsafeSlow(b.bytes.length)
    bytes.set(b.bytes)
  }
  return { topic, partition, highWatermark, nextOffset, bytes: bytes.buffer as ArrayBuffer, view: [bytes.byteOffset, bytes.length], position }
}
