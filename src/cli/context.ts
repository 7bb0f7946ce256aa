/**
 * @module What every command shares: the output, the Ctrl-C signal, and the client: an embedded
 * broker plus client on the data directory, or with --bootstrap a Kafka client to a running broker,
 * opened for the command and closed after it.
 */
import { readFileSync } from 'node:fs'
import { type Broker } from '../broker/broker.ts'
import { openEmbedded } from '../client/embedded/index.ts'
import { type KafkaClientOptions, type SaslMechanism, createKafkaClient } from '../client/kafka/index.ts'
import { type Client } from '../client/types.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../util/errors.ts'
import { type CommandSpec, type ParsedCommand, dataDirOf, stringOpt, usageError } from './args.ts'
import { type Output } from './output.ts'

export interface CliContext {
  out: Output
  /** Aborts on SIGINT / SIGTERM. */
  signal: AbortSignal
}

export interface Command {
  spec: CommandSpec
  /** Returns the exit status. */
  run(parsed: ParsedCommand, ctx: CliContext): Promise<number>
}

export async function withEmbedded<T>(dataDir: string, fn: (client: Client, broker: Broker) => Promise<T>): Promise<T> {
  let opened
  try {
    opened = await openEmbedded({ dataDir })
  } catch (err) {
    if (isTributaryError(err, ErrorCode.LOG_LOCKED)) {
      throw new TributaryError(ErrorCode.LOG_LOCKED, `data directory "${dataDir}" is in use by another process (a running consume --follow or demo?)`, { cause: err })
    }
    throw err
  }
  const { broker, client } = opened
  try {
    return await fn(client, broker)
  } finally {
    await client.close().catch(() => undefined)
    await broker.close()
  }
}

/** The one place that chooses the client: Kafka protocol with --bootstrap, else the data directory. */
export async function withClient<T>(values: ParsedCommand['values'], fn: (client: Client) => Promise<T>): Promise<T> {
  const kafka = kafkaOptionsOf(values)
  if (kafka === undefined) return withEmbedded(dataDirOf(values), (client) => fn(client))
  if (values['data-dir'] !== undefined) throw usageError('--data-dir and --bootstrap cannot be combined')
  const client = createKafkaClient(kafka)
  try {
    return await fn(client)
  } finally {
    await client.close().catch(() => undefined)
  }
}

/** Kafka client options from --bootstrap, --tls, --tls-ca and --sasl-*; undefined without --bootstrap. */
export function kafkaOptionsOf(values: ParsedCommand['values']): KafkaClientOptions | undefined {
  const bootstrap = stringOpt(values, 'bootstrap')
  const sasl = ['sasl-mechanism', 'sasl-username', 'sasl-password'].map((n) => stringOpt(values, n))
  const tlsCa = stringOpt(values, 'tls-ca')
  if (bootstrap === undefined) {
    const stray = ['tls', 'tls-ca', 'sasl-mechanism', 'sasl-username', 'sasl-password'].find((n) => values[n] !== undefined)
    if (stray !== undefined) throw usageError(`--${stray} needs --bootstrap`)
    return undefined
  }
  const options: KafkaClientOptions = { bootstrap: bootstrap.split(',').map((b) => b.trim()), clientId: 'tributary-cli' }
  if (values['tls'] === true || tlsCa !== undefined) {
    let ca: Buffer | undefined
    try {
      ca = tlsCa === undefined ? undefined : readFileSync(tlsCa)
    } catch (err) {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `cannot read --tls-ca ${tlsCa}: ${(err as Error).message}`)
    }
    options.tls = ca === undefined ? true : { ca }
  }
  const [mechanism, username, password] = sasl
  if (mechanism !== undefined || username !== undefined || password !== undefined) {
    if (mechanism === undefined || username === undefined || password === undefined) {
      throw usageError('SASL needs --sasl-mechanism, --sasl-username and --sasl-password')
    }
    if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(mechanism)) {
      throw usageError(`--sasl-mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, not "${mechanism}"`)
    }
    options.sasl = { mechanism: mechanism as SaslMechanism, username, password }
  }
  return options
}

/** Fails with UNKNOWN_TOPIC (a runtime error) unless the topic exists; returns its partition count. */
export async function requireTopic(client: Client, topic: string): Promise<number> {
  const admin = client.admin()
  const [info] = await admin.describeTopics([topic])
  return info?.partitions.length ?? 0
}
