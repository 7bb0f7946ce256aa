/**
 * @module The `tributary` command line: the composition root that wires the embedded broker and
 * client into commands. Errors end as one line on stderr: exit 2 for usage, 1 for runtime errors.
 */
import { readFileSync } from 'node:fs'
import { toTributaryError } from '../util/errors.ts'
import { isUsageError, parseCommand, usageError } from './args.ts'
import { brokerCommands } from './commands/broker.ts'
import { consume } from './commands/consume.ts'
import { demo } from './commands/demo.ts'
import { groupCommands } from './commands/groups.ts'
import { produce } from './commands/produce.ts'
import { topicCommands } from './commands/topics.ts'
import { type CliContext, type Command } from './context.ts'
import { processOutput } from './output.ts'

const HELP = `Usage: tributary <command> [options]

Tributary: a Kafka-compatible log broker and stream processor in TypeScript.
Commands work on the broker's data directory (--data-dir DIR, default ./data).

Commands:
  topics create NAME        create a topic (--partitions N, --config k=v)
  topics list               list topics
  topics describe NAME      partitions, offsets and configs of a topic
  topics alter NAME         add partitions, set or remove configs
  topics delete NAME        delete a topic
  produce TOPIC             write JSON lines from stdin as records
  consume TOPIC             print records as JSON lines
  groups list               list consumer groups
  groups describe GROUP     members, committed offsets and lag of a group
  groups reset-offsets G    move a group's committed offsets (replay)
  demo                      a live demo: taxi rides through a windowed pipeline, a summary table
  broker start              serve the data directory over the Kafka protocol (--listen HOST:PORT)
  broker add-user USER      add a SASL user (SCRAM credentials) to a users file

Options:
  -h, --help                help (also after a command: tributary topics create --help)
  -V, --version             print the version

Every command takes --data-dir; list and describe commands take --json.
With --bootstrap HOST:PORT commands work over the Kafka protocol against a running broker instead
(TLS: --tls, --tls-ca FILE; SASL: --sasl-mechanism PLAIN|SCRAM-SHA-256|SCRAM-SHA-512
--sasl-username U --sasl-password P).
`

const groupHelp: Record<string, string> = {
  topics: `Usage: tributary topics <create|list|describe|alter|delete> ...\n\nSee tributary topics <subcommand> --help.\n`,
  groups: `Usage: tributary groups <list|describe|reset-offsets> ...\n\nSee tributary groups <subcommand> --help.\n`,
  broker: `Usage: tributary broker <start|add-user> ...\n\nSee tributary broker <subcommand> --help.\n`,
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** Finds the command for argv; returns its remaining arguments. */
function resolve(argv: readonly string[]): { command: Command; args: string[] } | string {
  const [first, second] = argv
  if (first === undefined) throw usageError('missing command (see: tributary --help)')
  if (first === '--help' || first === '-h' || first === 'help') return HELP
  if (first === '--version' || first === '-V') return `${version()}\n`
  const single: Record<string, Command> = { produce, consume, demo }
  const singleCommand = single[first]
  if (Object.hasOwn(single, first) && singleCommand !== undefined) return { command: singleCommand, args: argv.slice(1) }
  const groups: Record<string, Record<string, Command>> = { topics: topicCommands, groups: groupCommands, broker: brokerCommands }
  const group = Object.hasOwn(groups, first) ? groups[first] : undefined
  if (group === undefined) throw usageError(`unknown command "${first}" (see: tributary --help)`)
  if (second === undefined || second === '--help' || second === '-h') {
    if (second === undefined) throw usageError(`${first}: missing subcommand (${Object.keys(group).join(', ')})`)
    return groupHelp[first] ?? HELP
  }
  const command = Object.hasOwn(group, second) ? group[second] : undefined
  if (command === undefined) throw usageError(`${first}: unknown subcommand "${second}" (${Object.keys(group).join(', ')})`)
  return { command, args: argv.slice(2) }
}

export async function main(argv: readonly string[]): Promise<number> {
  const out = processOutput()
  const stop = new AbortController()
  // The first Ctrl-C stops the command cleanly; a second one does not wait for that.
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130)
    stop.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const found = resolve(argv)
    if (typeof found === 'string') {
      await out.write(found)
      return 0
    }
    const parsed = parseCommand(found.args, found.command.spec, (text) => void out.write(text))
    if (parsed === undefined) return 0
    const ctx: CliContext = { out, signal: stop.signal }
    return await found.command.run(parsed, ctx)
  } catch (err) {
    const e = toTributaryError(err)
    process.stderr.write(`tributary: error: ${e.message.replaceAll('\n', ' ')}\n`)
    return isUsageError(err) ? 2 : 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function fatal(err: unknown): never {
  process.stderr.write(`tributary: error: ${toTributaryError(err).message.replaceAll('\n', ' ')}\n`)
  process.exit(1)
}
process.on('uncaughtException', fatal)
process.on('unhandledRejection', fatal)

// Output piped into a closed reader (e.g. `| head`) ends the program quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
})

const status = await main(process.argv.slice(2))
// Everything is closed by now; exiting explicitly also ends a command whose stdin is still open.
process.exit(status)
