/**
 * @module The host: serves any Client (embedded, Kafka) to one remote client over a MessagePort.
 * Every producer, consumer and admin the remote side creates gets its own counterpart here, so
 * each remote consumer is a distinct group member. Requests run concurrently (a revoke listener on
 * the remote side may commit while the host waits for it); replies carry values or errors as
 * code + message. When the port closes (the worker ended or crashed) everything served is closed:
 * consumers leave their groups instead of waiting for a session timeout.
 *
 * A remote producer encodes its batches itself and sends them as bytes (APPEND); a producer that
 * appends encoded batches (the embedded one) takes them as they are, any other gets their records.
 */
import { type MessagePort, type Transferable } from 'node:worker_threads'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { decodeForResend, isEncodedBatchSink } from '../internal/raw-batches.ts'
import { type Admin, type Client, type ConsumerOptions, type Producer, type ProducerOptions, type RecordMetadata, type SeekTarget, type TopicPartition, type TopicPartitionOffset } from '../types.ts'
import { HostConsumer } from './host-consumer.ts'
import { type RequestMessage, type WireAppend, type WireBatch, Op, fromWire, isAck, isRequest, toWire } from './messages.ts'
import { ADMIN_METHODS } from './remote-admin.ts'

export interface ClientHost {
  /** Closes what the remote side opened (not the served client) and the port. */
  close(): Promise<void>
}

/** `last`: the producer's latest send; the next one starts after it, so overlapping sends keep their order. */
type Served = { kind: 'producer'; producer: Producer; sends: Map<number, AbortController>; last: Promise<unknown> } | { kind: 'consumer'; consumer: HostConsumer } | { kind: 'admin'; admin: Admin }

/** Serves `client` to the remote client at the other end of `port`. */
export function serveClient(client: Client, port: MessagePort): ClientHost {
  const host = new Host(client, port)
  return { close: () => host.close() }
}

class Host {
  readonly #client: Client
  readonly #port: MessagePort
  readonly #served = new Map<number, Served>()
  /** Creation errors, answered to every later request for that target. */
  readonly #failed = new Map<number, unknown>()
  readonly #acks = new Map<number, { resolve(): void; reject(err: unknown): void }>()
  #nextCallback = 1
  /** For partition counts when the served producer does not give them; opened on first use. */
  #admin: Admin | undefined
  #closed = false
  #closing: Promise<void> | undefined

  constructor(client: Client, port: MessagePort) {
    this.#client = client
    this.#port = port
    port.on('message', (m: unknown) => this.#onMessage(m))
    port.on('close', () => void this.close())
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    // Nobody is left to run listeners: revokes go through at once.
    for (const waiter of this.#acks.values()) waiter.resolve()
    this.#acks.clear()
    const served = [...this.#served.values()]
    this.#served.clear()
    await Promise.allSettled(served.map((s) => closeServed(s)))
    await this.#admin?.close().catch(() => undefined)
    this.#port.close()
  }

  #onMessage(m: unknown): void {
    if (isAck(m)) {
      const waiter = this.#acks.get(m.ack)
      this.#acks.delete(m.ack)
      // A listener error on the remote side fails the host consumer's rebalance, as it would locally.
      if (m.error !== undefined) waiter?.reject(fromWire(m.error))
      else waiter?.resolve()
      return
    }
    if (!isRequest(m)) return
    this.#handle(m).then(
      (value) => this.#reply(m.id, value),
      (err: unknown) => {
        if (m.id !== 0) this.#send({ reply: m.id, error: toWire(err) })
      },
    )
  }

  #reply(id: number, value: unknown): void {
    if (id === 0) return
    const batch = value as WireBatch | null
    const transfer: Transferable[] | undefined = batch !== null && typeof batch === 'object' && batch.bytes instanceof ArrayBuffer ? [batch.bytes] : undefined
    this.#send({ reply: id, value }, transfer)
  }

  #send(message: unknown, transfer?: Transferable[]): void {
    if (this.#closed) return
    try {
      this.#port.postMessage(message, transfer)
    } catch (err) {
      const id = (message as { reply: number }).reply
      this.#port.postMessage({ reply: id, error: toWire(err) })
    }
  }

  async #handle(m: RequestMessage): Promise<unknown> {
    const a = m.args
    switch (m.op) {
      case Op.PRODUCER:
        return this.#create(m.target, () => ({ kind: 'producer', producer: this.#client.producer(a[0] as ProducerOptions), sends: new Map(), last: Promise.resolve() }))
      case Op.CONSUMER:
        return this.#create(m.target, () => ({
          kind: 'consumer',
          consumer: new HostConsumer(this.#client, a[0] as ConsumerOptions, (kind, partitions, positions) => this.#forward(m.target, kind, partitions, positions)),
        }))
      case Op.ADMIN:
        return this.#create(m.target, () => ({ kind: 'admin', admin: this.#client.admin() }))
      case Op.CLOSE:
        return this.#closeAll()
      case Op.CLOSE_TARGET: {
        const s = this.#served.get(m.target)
        this.#served.delete(m.target)
        if (s !== undefined) await closeServed(s)
        return undefined
      }
      case Op.APPEND:
      case Op.PARTITIONS:
      case Op.CANCEL_SEND:
        return this.#producerOp(m)
      case Op.ADMIN_CALL: {
        const admin = this.#get(m.target, 'admin').admin
        const method = a[0] as string
        if (!ADMIN_METHODS.has(method)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `no admin method ${method}`)
        return (admin[method as keyof Admin] as (...args: unknown[]) => Promise<unknown>).apply(admin, a.slice(1))
      }
      default:
        return this.#consumerOp(m)
    }
  }

  async #producerOp(m: RequestMessage): Promise<unknown> {
    const s = this.#get(m.target, 'producer')
    if (m.op === Op.CANCEL_SEND) {
      s.sends.get(m.args[0] as number)?.abort()
      return undefined
    }
    if (m.op === Op.PARTITIONS) return this.#partitionCount(s.producer, m.args[0] as string, m.args[1] === true)
    const abort = new AbortController()
    s.sends.set(m.id, abort)
    const entries = m.args[0] as WireAppend[]
    const bytes = Buffer.from(m.args[1] as ArrayBuffer)
    const send = s.last.then(() => append(s.producer, entries, bytes, abort.signal))
    s.last = send.catch(() => undefined)
    try {
      return await send
    } finally {
      s.sends.delete(m.id)
    }
  }

  async #partitionCount(producer: Producer, topic: string, fresh: boolean): Promise<number> {
    if (isEncodedBatchSink(producer)) return producer.partitionCount(topic, fresh)
    this.#admin ??= this.#client.admin()
    const [info] = await this.#admin.describeTopics([topic])
    if (info === undefined) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `unknown topic "${topic}"`)
    return info.partitions.length
  }

  #consumerOp(m: RequestMessage): Promise<unknown> | unknown {
    const c = this.#get(m.target, 'consumer').consumer
    const a = m.args
    switch (m.op) {
      case Op.SUBSCRIBE:
        return c.subscribe(a[0] as string[])
      case Op.ASSIGN:
        return c.assign(a[0] as TopicPartition[])
      case Op.SEEK:
        return c.seek(a[0] as TopicPartition, a[1] as SeekTarget)
      case Op.NEXT:
        return c.next()
      case Op.STOP:
        return c.stop()
      case Op.COMMIT:
        return c.commit(a[0] as TopicPartitionOffset[] | undefined)
      case Op.COMMITTED:
        return c.committed(a[0] as TopicPartition[])
      case Op.PAUSE:
        return c.pause(a[0] as TopicPartition[])
      case Op.RESUME:
        return c.resume(a[0] as TopicPartition[])
      default:
        throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `unknown operation ${String(m.op)}`)
    }
  }

  #create(target: number, make: () => Served): void {
    try {
      this.#served.set(target, make())
    } catch (err) {
      this.#failed.set(target, err)
    }
  }

  #get<K extends Served['kind']>(target: number, kind: K): Extract<Served, { kind: K }> {
    const failed = this.#failed.get(target)
    if (failed !== undefined) throw failed
    const s = this.#served.get(target)
    if (s === undefined || s.kind !== kind) throw new TributaryError(ErrorCode.CLOSED, `${kind} is closed`)
    return s as Extract<Served, { kind: K }>
  }

  /** Runs the remote side's listener for a rebalance of `target` and waits until it finished. */
  #forward(target: number, kind: 'revoked' | 'assigned', partitions: TopicPartition[], positions?: number[]): Promise<void> {
    if (this.#closed) return Promise.resolve()
    const callback = this.#nextCallback++
    return new Promise<void>((resolve, reject) => {
      this.#acks.set(callback, { resolve, reject })
      this.#send(positions === undefined ? { event: kind, target, callback, partitions } : { event: kind, target, callback, partitions, positions })
    })
  }

  async #closeAll(): Promise<void> {
    const served = [...this.#served.values()]
    this.#served.clear()
    const results = await Promise.allSettled(served.map((s) => closeServed(s)))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }
}

/** Appends a send's encoded batches: as they are where the producer can, else as records. */
async function append(producer: Producer, entries: readonly WireAppend[], bytes: Buffer, signal: AbortSignal): Promise<RecordMetadata[]> {
  const slices: Buffer[] = []
  let pos = 0
  for (const e of entries) {
    if (!(Number.isInteger(e.length) && e.length >= 0 && e.length <= bytes.length - pos)) {
      throw new TributaryError(ErrorCode.CORRUPT_RECORD, `append: batch of ${e.length} bytes past the end of ${bytes.length}`)
    }
    slices.push(bytes.subarray(pos, pos + e.length))
    pos += e.length
  }
  if (isEncodedBatchSink(producer)) return Promise.all(entries.map((e, i) => producer.appendBatch(e.topic, e.partition, slices[i] as Buffer, { signal })))
  return producer.send(
    entries.flatMap((e, i) => decodeForResend(e.topic, e.partition, slices[i] as Buffer)),
    { signal },
  )
}

async function closeServed(s: Served): Promise<void> {
  if (s.kind === 'producer') await s.producer.close()
  else if (s.kind === 'consumer') await s.consumer.close()
  else await s.admin.close()
}
