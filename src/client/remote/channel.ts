/**
 * @module The remote side of the port: numbers requests and matches replies to them, hands host
 * events (rebalances) to the consumer they are for, and fails every open request with CLOSED when
 * the port closes, so nothing waits forever on a host that went away.
 */
import { type MessagePort, type Transferable } from 'node:worker_threads'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type EventMessage, type Op, type WireError, fromWire, isEvent, isReply, toWire } from './messages.ts'

interface Pending {
  resolve(value: unknown): void
  reject(err: unknown): void
}

export type EventHandler = (event: EventMessage) => Promise<void>

export class RemoteChannel {
  readonly #port: MessagePort
  readonly #pending = new Map<number, Pending>()
  readonly #handlers = new Map<number, EventHandler>()
  #nextId = 1
  #nextTarget = 1
  #closed = false

  constructor(port: MessagePort) {
    this.#port = port
    port.on('message', (m: unknown) => this.#onMessage(m))
    port.on('close', () => this.#onClose())
  }

  get closed(): boolean {
    return this.#closed
  }

  /** A fresh id for a producer, consumer or admin created on this channel. */
  newTarget(): number {
    return this.#nextTarget++
  }

  /** Sends a request and resolves with the host's reply value. */
  request<T>(op: Op, target: number, args: unknown[], transfer?: readonly Transferable[]): Promise<T> {
    return this.requestWithId<T>(op, target, args, transfer).reply
  }

  /** As request(), also giving the request id (for a later cancel). */
  requestWithId<T>(op: Op, target: number, args: unknown[], transfer?: readonly Transferable[]): { id: number; reply: Promise<T> } {
    const id = this.#nextId++
    if (this.#closed) return { id, reply: Promise.reject(closedError()) }
    const reply = new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
    })
    this.#postMessage({ id, op, target, args }, transfer)
    return { id, reply }
  }

  /** Sends a request that gets no reply. */
  post(op: Op, target: number, args: unknown[]): void {
    if (!this.#closed) this.#postMessage({ id: 0, op, target, args })
  }

  onEvent(target: number, handler: EventHandler): void {
    this.#handlers.set(target, handler)
  }

  offEvent(target: number): void {
    this.#handlers.delete(target)
  }

  close(): void {
    if (this.#closed) return
    this.#port.close()
    this.#onClose()
  }

  #postMessage(message: unknown, transfer?: readonly Transferable[]): void {
    try {
      this.#port.postMessage(message, transfer)
    } catch (err) {
      // Not cloneable: fail this request, not the channel.
      const id = (message as { id: number }).id
      const pending = this.#pending.get(id)
      this.#pending.delete(id)
      pending?.reject(new TributaryError(ErrorCode.INVALID_ARGUMENT, `cannot send to the client host: ${(err as Error).message}`))
    }
  }

  #onMessage(m: unknown): void {
    if (isReply(m)) {
      const pending = this.#pending.get(m.reply)
      if (pending === undefined) return
      this.#pending.delete(m.reply)
      if (m.error !== undefined) pending.reject(fromWire(m.error))
      else pending.resolve(m.value)
      return
    }
    if (isEvent(m)) {
      const handler = this.#handlers.get(m.target)
      const done = handler === undefined ? Promise.resolve() : handler(m)
      done.then(
        () => this.#ack(m.callback, undefined),
        (err: unknown) => this.#ack(m.callback, toWire(err)),
      )
    }
  }

  #ack(callback: number, error: WireError | undefined): void {
    if (this.#closed) return
    this.#port.postMessage(error === undefined ? { ack: callback } : { ack: callback, error })
  }

  #onClose(): void {
    if (this.#closed && this.#pending.size === 0) return
    this.#closed = true
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const p of pending) p.reject(closedError())
  }
}

function closedError(): TributaryError {
  return new TributaryError(ErrorCode.CLOSED, 'the client host closed the connection')
}
