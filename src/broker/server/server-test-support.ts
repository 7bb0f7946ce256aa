/**
 * @module Test support for the wire server: a raw Kafka client built from the generated codecs
 * (frames in, frames out, over a real socket), and a broker plus server in a temporary directory
 * on 127.0.0.1 with an ephemeral port.
 */
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { nextFrameLength } from '../../protocol/frame.ts'
import { type MessageCodec, decodeResponse, encodeRequest } from '../../protocol/messages/index.ts'
import { encodeRecordBatch, type EncodeBatchOptions, type RecordInput } from '../../protocol/records/record-batch.ts'
import { Broker, type BrokerOptions } from '../broker.ts'
import { type BrokerConfig } from '../types.ts'
import { type KafkaServer, type KafkaServerOptions, startKafkaServer } from './server.ts'

/** A raw Kafka connection: send frames, read frames in order, notice when the server closes. */
export class RawKafkaClient {
  readonly socket: net.Socket
  #buffer = Buffer.alloc(0)
  #waiters: { resolve: (frame: Buffer) => void; reject: (e: Error) => void }[] = []
  #frames: Buffer[] = []
  #closed = false
  #correlationId = 1
  readonly closed: Promise<void>

  private constructor(socket: net.Socket) {
    this.socket = socket
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      for (;;) {
        const len = nextFrameLength(this.#buffer, 0, 1 << 30)
        if (len < 0 || this.#buffer.length < len) break
        const frame = this.#buffer.subarray(0, len)
        this.#buffer = this.#buffer.subarray(len)
        const w = this.#waiters.shift()
        if (w !== undefined) w.resolve(frame)
        else this.#frames.push(frame)
      }
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      this.#closed = true
      for (const w of this.#waiters.splice(0)) w.reject(new Error('connection closed'))
    })
  }

  static connect(port: number, options: { tls?: tls.ConnectionOptions } = {}): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = options.tls === undefined ? net.connect({ host: '127.0.0.1', port }) : tls.connect({ host: '127.0.0.1', port, ...options.tls })
      const ready = options.tls === undefined ? 'connect' : 'secureConnect'
      socket.once(ready, () => {
        socket.off('error', reject)
        resolve(new RawKafkaClient(socket))
      })
      socket.once('error', reject)
    })
  }

  get isClosed(): boolean {
    return this.#closed
  }

  nextCorrelationId(): number {
    return this.#correlationId++
  }

  /** Writes bytes as they are. */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  /** Sends one request without waiting; returns its correlation id. */
  send<Req>(codec: MessageCodec<Req, unknown>, body: Req, clientId: string | null = 'raw-test'): number {
    const correlationId = this.nextCorrelationId()
    this.sendRaw(encodeRequest(codec, correlationId, clientId, body).toBuffer())
    return correlationId
  }

  /** The next response frame (size prefix included); rejects once the server has closed. */
  readFrame(): Promise<Buffer> {
    const ready = this.#frames.shift()
    if (ready !== undefined) return Promise.resolve(ready)
    if (this.#closed) return Promise.reject(new Error('connection closed'))
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  async receive<Res>(codec: MessageCodec<unknown, Res>, correlationId: number): Promise<Res> {
    const frame = await this.readFrame()
    const decoded = decodeResponse(codec, frame, 1 << 30)
    if (decoded.correlationId !== correlationId) throw new Error(`expected correlation id ${correlationId}, got ${decoded.correlationId}`)
    return decoded.body
  }

  /** Sends a request and reads its response. */
  async call<Req, Res>(codec: MessageCodec<Req, Res>, body: Req): Promise<Res> {
    const id = this.send(codec, body)
    return this.receive(codec, id)
  }

  close(): void {
    this.socket.destroy()
  }
}

export interface TestServer {
  broker: Broker
  server: KafkaServer
  dataDir: string
  port: number
  connect(options?: { tls?: tls.ConnectionOptions }): Promise<RawKafkaClient>
  /** Closes server and broker and opens both again on the same directory. */
  restart(): Promise<void>
  close(): Promise<void>
}

export interface TestServerOptions {
  broker?: Partial<BrokerConfig>
  brokerOptions?: BrokerOptions
  server?: KafkaServerOptions
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-server-'))
  const clients: RawKafkaClient[] = []
  const open = async (): Promise<{ broker: Broker; server: KafkaServer }> => {
    const broker = await Broker.open({ dataDir, ...options.broker }, options.brokerOptions)
    const server = await startKafkaServer(broker, { listen: '127.0.0.1:0', log: () => undefined, ...options.server })
    return { broker, server }
  }
  let current = await open()
  const shutdown = async (): Promise<void> => {
    for (const c of clients.splice(0)) c.close()
    await current.server.close()
    await current.broker.close()
  }
  return {
    get broker() {
      return current.broker
    },
    get server() {
      return current.server
    },
    get port() {
      return current.server.address.port
    },
    dataDir,
    async connect(connectOptions = {}) {
      const c = await RawKafkaClient.connect(current.server.address.port, connectOptions)
      clients.push(c)
      return c
    },
    async restart() {
      await shutdown()
      current = await open()
    },
    async close() {
      await shutdown()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A RecordBatch v2 of string values, as a producer would send it (base offset 0). */
export function batchOf(values: readonly string[], options: EncodeBatchOptions = {}): Buffer {
  const records: RecordInput[] = values.map((value, i) => ({ key: `k${i}`, value }))
  return encodeRecordBatch(records, { timestamp: 1_700_000_000_000, ...options })
}
