/**
 * @module A producer whose sends are appended by the host's producer. The worker does the work a
 * producer does per record: it places records in partitions (the shared Partitioner, with partition
 * counts asked of the host and cached) and encodes one RecordBatch v2 per partition (CRC-32C
 * included). A send is one message carrying all its batches in one transferred buffer; the host
 * appends them as they are, so the thread running the broker never touches a record.
 *
 * Sends are posted in call order (the host runs them in that order), so a caller keeping several
 * sends under way still gets its records in the log in send order.
 */
import { systemClock } from '../../util/clock.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import { PartitionCountCache, Partitioner } from '../internal/partitioner.ts'
import { encodePartitionBatch } from '../internal/raw-batches.ts'
import { type CompressionType, type Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata, type SendOptions } from '../types.ts'
import { type RemoteChannel } from './channel.ts'
import { Op, type WireAppend } from './messages.ts'
import { checkProducerRecords } from './record-codec.ts'

interface Posted {
  id: number
  reply: Promise<RecordMetadata[]>
  topics: Set<string>
}

export class RemoteProducer implements Producer {
  readonly #channel: RemoteChannel
  readonly #target: number
  readonly #onClose: (p: RemoteProducer) => void
  readonly #compression: CompressionType
  readonly #counts: PartitionCountCache
  readonly #partitioner: Partitioner
  /** The latest send's posting: the next send posts after it. */
  #posting: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor(channel: RemoteChannel, options: ProducerOptions, onClose: (p: RemoteProducer) => void) {
    this.#channel = channel
    this.#target = channel.newTarget()
    this.#onClose = onClose
    this.#compression = options.compression ?? 'none'
    this.#counts = new PartitionCountCache((topic, fresh) => channel.request<number>(Op.PARTITIONS, this.#target, [topic, fresh]), () => systemClock.now())
    this.#partitioner = new Partitioner(this.#counts, options.keylessPartitioner)
    channel.post(Op.PRODUCER, this.#target, [options])
  }

  /** Not async itself: the records are encoded at once and not kept until the acknowledgement. */
  send(records: readonly ProducerRecord[], options: SendOptions = {}): Promise<RecordMetadata[]> {
    if (this.#closed) return Promise.reject(new TributaryError(ErrorCode.CLOSED, 'producer is closed'))
    const signal = options.signal
    if (signal?.aborted === true) return Promise.reject(new TributaryError(ErrorCode.ABORTED, 'send aborted', { cause: signal.reason }))
    try {
      checkProducerRecords(records)
    } catch (err) {
      return Promise.reject(err)
    }
    if (records.length === 0) return Promise.resolve([])
    const posting = this.#posting.then(() => this.#post(records, signal))
    this.#posting = posting.catch(() => undefined)
    return this.#reply(posting, signal)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#posting
      await this.#channel.request(Op.CLOSE_TARGET, this.#target, [])
    } finally {
      this.#onClose(this)
    }
  }

  async #reply(posting: Promise<Posted>, signal: AbortSignal | undefined): Promise<RecordMetadata[]> {
    const { id, reply, topics } = await posting
    try {
      if (signal === undefined) return await reply
      // The host aborts its own send; the reply then carries its outcome.
      const onAbort = (): void => this.#channel.post(Op.CANCEL_SEND, this.#target, [id])
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        return await reply
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    } catch (err) {
      if (isTributaryError(err, ErrorCode.UNKNOWN_TOPIC) || isTributaryError(err, ErrorCode.UNKNOWN_PARTITION)) {
        for (const topic of topics) this.#counts.forget(topic)
      }
      throw err
    }
  }

  /** Places and encodes the records, then posts them as one APPEND; throws before posting on bad input. */
  async #post(records: readonly ProducerRecord[], signal: AbortSignal | undefined): Promise<Posted> {
    const batches = await this.#partitioner.group(records)
    if (signal?.aborted === true) throw new TributaryError(ErrorCode.ABORTED, 'send aborted', { cause: signal.reason })
    const timestamp = systemClock.now()
    const encoded = batches.map((b) => encodePartitionBatch(b.records, this.#compression, timestamp))
    let size = 0
    for (const e of encoded) size += e.length
    // Outside Node's pool (transferable) and not zero-filled.
    const view = Buffer.allocUnsafeSlow(size)
    const bytes = view.buffer as ArrayBuffer
    const entries: WireAppend[] = []
    let pos = 0
    encoded.forEach((e, i) => {
      view.set(e, pos)
      pos += e.length
      const b = batches[i] as { topic: string; partition: number }
      entries.push({ topic: b.topic, partition: b.partition, length: e.length })
    })
    const posted = this.#channel.requestWithId<RecordMetadata[]>(Op.APPEND, this.#target, [entries, bytes], [bytes])
    return { ...posted, topics: new Set(entries.map((e) => e.topic)) }
  }
}
