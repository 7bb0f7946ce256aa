/**
 * @module The Kafka wire-protocol server: a TCP (or TLS) listener in front of a Broker. Every
 * connection is a KafkaConnection; this module owns the listener, the advertised address and the
 * graceful shutdown (stop accepting, let requests in flight finish, long polls answer at once,
 * then end the connections). Closing the broker afterwards is the caller's job.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import tls from 'node:tls'
import { type Clock, systemClock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Broker } from '../broker.ts'
import { KafkaConnection } from './connection.ts'
import { type ServerContext } from './context.ts'
import { type SaslAuthenticator, createSaslAuthenticator } from './sasl/authenticator.ts'
import { loadUsersFile } from './sasl/credentials.ts'
import { ReadBufferPool } from './read-buffer-pool.ts'
import { TopicIds } from './topic-ids.ts'

export const DEFAULT_LISTEN = '127.0.0.1:9092'
/** Kafka's socket.request.max.bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024
/** Before authentication a client only needs room for ApiVersions and SASL tokens. */
export const DEFAULT_PRE_AUTH_MAX_FRAME_BYTES = 64 * 1024
/** How long a graceful close waits for requests in flight before cutting connections. */
const CLOSE_GRACE_MS = 5000

export interface TlsOptions {
  /** PEM key and certificate, as file paths or contents. */
  keyFile?: string
  certFile?: string
  key?: string | Buffer
  cert?: string | Buffer
}

export interface KafkaServerOptions {
  /** host:port to bind ([v6]:port for IPv6); default 127.0.0.1:9092, port 0 picks a free one. */
  listen?: string
  /** host:port clients are told to use; default the listen host if it is an IPv4 literal, else 127.0.0.1, and the bound port. */
  advertise?: string
  maxFrameBytes?: number
  preAuthMaxFrameBytes?: number
  tls?: TlsOptions
  /** Require SASL authentication: with the users of a users file (see sasl/credentials.ts), or an authenticator. */
  sasl?: SaslAuthenticator | { usersFile: string; mechanisms?: readonly string[] }
  clock?: Clock
  /** Where unexpected failures are reported (default: stderr). */
  log?: (message: string) => void
}

export interface KafkaServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: { host: string; port: number }
  readonly advertised: { host: string; port: number }
  close(): Promise<void>
}

export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port > 65535) throw new TributaryError(ErrorCode.INVALID_CONFIG, `${what} must be host:port, got '${value}'`)
  const host = m[1] ?? m[2] ?? ''
  return { host: host === '' ? '127.0.0.1' : host, port }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback
  if (!Number.isSafeInteger(v) || v < 1024) throw new TributaryError(ErrorCode.INVALID_CONFIG, `${name} must be an integer >= 1024, got ${v}`)
  return v
}

/** A stable id for the cluster of one data directory (Kafka's are 22 base64url characters). */
function clusterIdOf(dataDir: string): string {
  return createHash('sha256').update(path.resolve(dataDir)).digest().subarray(0, 16).toString('base64url')
}

function loadTls(options: TlsOptions): tls.TlsOptions {
  const key = options.key ?? (options.keyFile === undefined ? undefined : readFileSync(options.keyFile))
  const cert = options.cert ?? (options.certFile === undefined ? undefined : readFileSync(options.certFile))
  if (key === undefined || cert === undefined) throw new TributaryError(ErrorCode.INVALID_CONFIG, 'TLS needs both a key and a certificate')
  return { key, cert }
}

/** Starts listening; resolves once the port is bound. */
export async function startKafkaServer(broker: Broker, options: KafkaServerOptions = {}): Promise<KafkaServer> {
  const listen = parseHostPort(options.listen ?? DEFAULT_LISTEN, 'listen')
  const maxFrameBytes = positive(options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes')
  const limits = { maxFrameBytes, preAuthMaxFrameBytes: Math.min(maxFrameBytes, positive(options.preAuthMaxFrameBytes, DEFAULT_PRE_AUTH_MAX_FRAME_BYTES, 'preAuthMaxFrameBytes')) }
  const clock = options.clock ?? systemClock
  const log = options.log ?? ((message: string) => process.stderr.write(`tributary server: ${message}\n`))
  const closing = new AbortController()
  const connections = new Set<KafkaConnection>()
  let nextId = 1

  const tlsOptions = options.tls === undefined ? undefined : loadTls(options.tls)
  const saslOption = options.sasl
  const sasl = saslOption === undefined || 'start' in saslOption ? saslOption : createSaslAuthenticator(loadUsersFile(saslOption.usersFile), saslOption.mechanisms)
  const listener = tlsOptions === undefined ? net.createServer() : tls.createServer(tlsOptions)
  const bound = await new Promise<net.AddressInfo>((resolve, reject) => {
    listener.once('error', reject)
    listener.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
      listener.off('error', reject)
      resolve(listener.address() as net.AddressInfo)
    })
  })
  listener.on('error', (e) => log(`listener error: ${e.message}`))

  const advertised = options.advertise !== undefined
    ? parseHostPort(options.advertise, 'advertise')
    : { host: net.isIPv4(listen.host) && listen.host !== '0.0.0.0' ? listen.host : '127.0.0.1', port: bound.port }
  const server: ServerContext = {
    broker,
    transactions: broker.transactions,
    clock,
    nodeId: 0,
    advertised,
    clusterId: clusterIdOf(broker.dataDir),
    topicIds: new TopicIds(broker),
    sasl,
    closing: closing.signal,
    readBuffers: new ReadBufferPool(),
    log,
  }

  const accept = (socket: net.Socket): void => {
    if (closing.signal.aborted) {
      socket.destroy()
      return
    }
    const conn = new KafkaConnection(nextId++, socket, server, limits)
    connections.add(conn)
    void conn.ended.then(() => connections.delete(conn))
  }
  if (tlsOptions === undefined) listener.on('connection', accept)
  else {
    listener.on('secureConnection', accept)
    listener.on('tlsClientError', () => undefined) // a failed handshake concerns only that client
  }

  let closed: Promise<void> | undefined
  const shutdown = async (): Promise<void> => {
    const stopped = new Promise<void>((resolve) => listener.close(() => resolve()))
    closing.abort()
    for (const c of connections) c.drain()
    const ended = Promise.all([...connections].map((c) => c.ended))
    // Requests still running after the grace period (a slow fsync) are cut off.
    const timer = clock.setTimeout(() => {
      for (const c of connections) c.destroy()
    }, CLOSE_GRACE_MS)
    await ended
    timer.cancel()
    await stopped
  }
  return {
    address: { host: bound.address, port: bound.port },
    advertised,
    close: () => (closed ??= shutdown()),
  }
}
