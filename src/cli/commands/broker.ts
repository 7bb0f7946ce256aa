/**
 * @module `tributary broker start` (the Kafka wire server on a data directory, until SIGINT or
 * SIGTERM, then a graceful stop: server first, then the broker, which writes its clean-shutdown
 * marker) and `tributary broker add-user` (SCRAM credentials into a SASL users file).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { Broker } from '../../broker/broker.ts'
import { startKafkaServer } from '../../broker/server/server.ts'
import { type ScramMechanism, parseUsers, scramCredential, usersToJson } from '../../broker/server/sasl/credentials.ts'
import { type ParsedCommand, dataDirOf, flag, intOpt, stringOpt, usageError } from '../args.ts'
import { type CliContext, type Command } from '../context.ts'

export const brokerStart: Command = {
  spec: {
    name: 'broker start',
    positionals: [],
    options: {
      listen: { type: 'string' },
      advertise: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'sasl-users': { type: 'string' },
      'no-auto-create-topics': { type: 'boolean' },
    },
    help: `Usage: tributary broker start [--data-dir DIR] [--listen HOST:PORT] [--advertise HOST:PORT]
                              [--tls-cert FILE --tls-key FILE] [--sasl-users FILE] [--no-auto-create-topics]

Serves the data directory over the Kafka protocol until Ctrl-C (SIGINT) or SIGTERM.
  --listen HOST:PORT      where to listen (default 127.0.0.1:9092; port 0 picks a free one)
  --advertise HOST:PORT   the address clients are told to use (default: the listen address)
  --tls-cert, --tls-key   serve TLS with this PEM certificate and key
  --sasl-users FILE       require SASL (PLAIN, SCRAM-SHA-256/512) with the users of FILE
                          (made by: tributary broker add-user)
  --no-auto-create-topics do not create unknown topics on metadata requests and produce
  --data-dir DIR          where the broker keeps its data (default ./data)
`,
  },
  async run({ values }: ParsedCommand, { out, signal }: CliContext): Promise<number> {
    const cert = stringOpt(values, 'tls-cert')
    const key = stringOpt(values, 'tls-key')
    if ((cert === undefined) !== (key === undefined)) throw usageError('broker start: --tls-cert and --tls-key go together')
    const usersFile = stringOpt(values, 'sasl-users')
    const sasl = usersFile === undefined ? undefined : { usersFile }
    const listen = stringOpt(values, 'listen')
    const advertise = stringOpt(values, 'advertise')
    const broker = await Broker.open({ dataDir: dataDirOf(values), autoCreateTopics: !flag(values, 'no-auto-create-topics') })
    let server
    try {
      server = await startKafkaServer(broker, {
        ...(listen === undefined ? {} : { listen }),
        ...(advertise === undefined ? {} : { advertise }),
        ...(cert === undefined || key === undefined ? {} : { tls: { certFile: cert, keyFile: key } }),
        ...(sasl === undefined ? {} : { sasl }),
      })
    } catch (e) {
      await broker.close()
      throw e
    }
    const a = server.advertised
    await out.write(`Listening on ${server.address.host}:${server.address.port} (advertised as ${a.host}:${a.port})${cert === undefined ? '' : ', TLS'}${sasl === undefined ? '' : ', SASL'}.\n`)
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
    await server.close()
    await broker.close()
    await out.write('Stopped.\n')
    return 0
  },
}

export const brokerAddUser: Command = {
  spec: {
    name: 'broker add-user',
    positionals: ['user'],
    options: { 'sasl-users': { type: 'string' }, password: { type: 'string' }, iterations: { type: 'string' } },
    help: `Usage: tributary broker add-user USER --sasl-users FILE [--password P] [--iterations N]

Adds (or replaces) USER in the SASL users file with salted SCRAM-SHA-256 and SCRAM-SHA-512
credentials; the password itself is not stored. Without --password it is read from stdin.
  --iterations N          PBKDF2 iterations (default and minimum 4096)
`,
  },
  async run({ values, positionals }: ParsedCommand, { out }: CliContext): Promise<number> {
    const file = stringOpt(values, 'sasl-users')
    if (file === undefined) throw usageError('broker add-user: --sasl-users FILE is required')
    const user = positionals[0] as string
    const password = stringOpt(values, 'password') ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '')
    if (password === '') throw usageError('broker add-user: the password is empty')
    const iterations = intOpt(values, 'iterations', 4096, 10_000_000) ?? 4096
    const users = new Map(existsSync(file) ? parseUsers(readFileSync(file, 'utf8'), file) : [])
    const mechanisms: ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512']
    const creds: Partial<Record<ScramMechanism, Awaited<ReturnType<typeof scramCredential>>>> = {}
    for (const m of mechanisms) creds[m] = await scramCredential(m, password, iterations)
    users.set(user, creds)
    writeFileSync(file, usersToJson(users), { mode: 0o600 })
    await out.write(`Added ${user} to ${file}.\n`)
    return 0
  },
}

export const brokerCommands: Record<string, Command> = { start: brokerStart, 'add-user': brokerAddUser }
