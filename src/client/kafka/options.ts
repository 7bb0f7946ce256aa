/**
 * @module Connection options of the Kafka client (bootstrap brokers, TLS, SASL) and their
 * translation into @platformatic/kafka client options.
 */
import { type BaseOptions } from '@platformatic/kafka'
import { type ConnectionOptions as TlsOptions } from 'node:tls'
import { ErrorCode, TributaryError } from '../../util/errors.ts'

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

export interface KafkaSasl {
  mechanism: SaslMechanism
  username: string
  password: string
}

export interface KafkaClientOptions {
  /** host:port of one or more brokers; the rest of the cluster is found through metadata. */
  bootstrap: readonly string[]
  clientId?: string
  /** true for TLS with the system CAs, or node:tls options (ca, cert, key, servername, ...). */
  tls?: boolean | TlsOptions
  sasl?: KafkaSasl
  /** Milliseconds to wait for a connection (default 5000). */
  connectTimeoutMs?: number
  /** Milliseconds to wait for any one response (default 30000; JoinGroup may be held this long). */
  requestTimeoutMs?: number
}

const MECHANISMS: readonly string[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']

/** Checks the options once, when the client is created, so a typo fails before any connection. */
export function validateOptions(options: KafkaClientOptions): void {
  if (!Array.isArray(options.bootstrap) || options.bootstrap.length === 0) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'bootstrap needs at least one host:port')
  }
  for (const b of options.bootstrap) parseHostPort(b)
  const sasl = options.sasl
  if (sasl !== undefined) {
    if (!MECHANISMS.includes(sasl.mechanism)) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `unknown SASL mechanism "${String(sasl.mechanism)}" (${MECHANISMS.join(', ')})`)
    }
    if (typeof sasl.username !== 'string' || typeof sasl.password !== 'string') {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'SASL needs a username and a password')
    }
  }
}

/** Splits "host:port" (IPv6 as "[::1]:9092"); throws INVALID_ARGUMENT on anything else. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port < 1 || port > 65535) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `"${text}" is not host:port`)
  return { host: m[1] ?? m[2] ?? '', port }
}

/**
 * Options for one library client. Retries stay few and quick: the errors worth retrying here
 * (a connection being set up, a coordinator moving) clear within a second on a healthy cluster,
 * and callers of this interface retry on their own terms.
 */
export function libraryOptions(options: KafkaClientOptions, role: string): BaseOptions {
  const base: BaseOptions = {
    clientId: options.clientId ?? `tributary-${role}`,
    bootstrapBrokers: options.bootstrap.map((b) => {
      const { host, port } = parseHostPort(b)
      return { host, port }
    }),
    retries: 3,
    retryDelay: 100,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    timeout: options.requestTimeoutMs ?? 30_000,
  }
  if (options.tls !== undefined && options.tls !== false) base.tls = options.tls === true ? {} : options.tls
  if (options.sasl !== undefined) base.sasl = { mechanism: options.sasl.mechanism, username: options.sasl.username, password: options.sasl.password }
  return base
}
