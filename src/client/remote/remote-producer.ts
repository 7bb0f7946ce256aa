/**
 * @module A producer whose sends run in the host's producer: each send packs its records into one
 * transferred buffer (record-codec.ts) and is one message; the reply is the host's RecordMetadata.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata, type SendOptions } from '../types.ts'
import { type RemoteChannel } from './channel.ts'
import { Op } from './messages.ts'
import { packProducerRecords } from './record-codec.ts'

export class RemoteProducer implements Producer {
  readonly #channel: RemoteChannel
  readonly #target: number
  readonly #onClose: (p: RemoteProducer) => void
  #closed = false

  constructor(channel: RemoteChannel, options: ProducerOptions, onClose: (p: RemoteProducer) => void) {
    this.#channel = channel
    this.#target = channel.newTarget()
    this.#onClose = onClose
    channel.post(Op.PRODUCER, this.#target, [options])
  }

  async send(records: readonly ProducerRecord[], options: SendOptions = {}): Promise<RecordMetadata[]> {
    if (this.#closed) throw new TributaryError(ErrorCode.CLOSED, 'producer is closed')
    const signal = options.signal
    if (signal?.aborted === true) throw new TributaryError(ErrorCode.ABORTED, 'send aborted', { cause: signal.reason })
    const packed = packProducerRecords(records)
    if (records.length === 0) return []
    const args = [packed.topics, packed.bytes]
    if (signal === undefined) return this.#channel.request<RecordMetadata[]>(Op.SEND, this.#target, args, [packed.bytes])
    const { id, reply } = this.#channel.requestWithId<RecordMetadata[]>(Op.SEND, this.#target, args, [packed.bytes])
    // The host aborts its own send; the reply then carries its outcome.
    const onAbort = (): void => this.#channel.post(Op.CANCEL_SEND, this.#target, [id])
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await reply
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#channel.request(Op.CLOSE_TARGET, this.#target, [])
    } finally {
      this.#onClose(this)
    }
  }
}
