/**
 * @module The remote client: the Client interface for a worker thread, every call forwarded over a
 * MessagePort to a host (host.ts) that serves a real Client in the thread owning the broker
 * connection. Create it with `connectRemoteClient(port)` on the port the host serves.
 */
import { type MessagePort } from 'node:worker_threads'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Admin, type Client, type Consumer, type ConsumerOptions, type Producer, type ProducerOptions } from '../types.ts'
import { RemoteChannel } from './channel.ts'
import { Op } from './messages.ts'
import { RemoteAdmin } from './remote-admin.ts'
import { RemoteConsumer } from './remote-consumer.ts'
import { RemoteProducer } from './remote-producer.ts'

class RemoteClient implements Client {
  readonly #channel: RemoteChannel
  readonly #open = new Set<{ close(): Promise<void> }>()
  #closed = false

  constructor(port: MessagePort) {
    this.#channel = new RemoteChannel(port)
  }

  producer(options: ProducerOptions = {}): Producer {
    this.#checkOpen()
    const p = new RemoteProducer(this.#channel, options, (x) => this.#open.delete(x))
    this.#open.add(p)
    return p
  }

  consumer(options: ConsumerOptions = {}): Consumer {
    this.#checkOpen()
    const c = new RemoteConsumer(this.#channel, options, (x) => this.#open.delete(x))
    this.#open.add(c)
    return c
  }

  admin(): Admin {
    this.#checkOpen()
    return new RemoteAdmin(this.#channel)
  }

  /** Closes every producer and consumer made here, then the port; the host's client stays open. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const errors: unknown[] = []
    for (const x of [...this.#open]) await x.close().catch((err: unknown) => errors.push(err))
    this.#open.clear()
    await this.#channel.request(Op.CLOSE, 0, []).catch((err: unknown) => errors.push(err))
    this.#channel.close()
    const first = errors.find((e) => !(e instanceof TributaryError && e.code === ErrorCode.CLOSED))
    if (first !== undefined) throw first
  }

  #checkOpen(): void {
    if (this.#closed || this.#channel.closed) throw new TributaryError(ErrorCode.CLOSED, 'client is closed')
  }
}

/** A Client whose calls the host at the other end of `port` serves (see serveClient in host.ts). */
export function connectRemoteClient(port: MessagePort): Client {
  return new RemoteClient(port)
}
