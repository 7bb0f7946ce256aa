/** @module `tributary topics create|list|describe|delete|alter`. */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type ParsedCommand, configOpt, flag, intOpt, listOpt, usageError } from '../args.ts'
import { type CliContext, type Command, withClient } from '../context.ts'
import { json, table } from '../output.ts'

const dataDirHelp = '  --data-dir DIR      where the broker keeps its data (default ./data)'

export const topicsCreate: Command = {
  spec: {
    name: 'topics create',
    positionals: ['name'],
    options: { partitions: { type: 'string' }, config: { type: 'string', multiple: true } },
    help: `Usage: tributary topics create NAME [--partitions N] [--config key=value ...]

Creates a topic.
  --partitions N      number of partitions (default 1)
  --config k=v        topic config, e.g. retention.ms=86400000 cleanup.policy=compact (repeatable)
${dataDirHelp}
`,
  },
  async run({ values, positionals }: ParsedCommand, { out }: CliContext): Promise<number> {
    const name = positionals[0] as string
    const partitions = intOpt(values, 'partitions', 1, 100_000) ?? 1
    const configs = configOpt(values)
    await withClient(values, (client) => client.admin().createTopics([{ name, partitions, configs }]))
    await out.write(`Created topic ${name} with ${partitions} partition${partitions === 1 ? '' : 's'}.\n`)
    return 0
  },
}

export const topicsList: Command = {
  spec: {
    name: 'topics list',
    positionals: [],
    options: { internal: { type: 'boolean' }, json: { type: 'boolean' } },
    help: `Usage: tributary topics list [--internal] [--json]

Lists topic names.
  --internal          include internal topics (__consumer_offsets)
  --json              print a JSON array
${dataDirHelp}
`,
  },
  async run({ values }: ParsedCommand, { out }: CliContext): Promise<number> {
    const names = await withClient(values, (client) => client.admin().listTopics({ includeInternal: flag(values, 'internal') }))
    await out.write(flag(values, 'json') ? json(names) : names.map((n) => `${n}\n`).join(''))
    return 0
  },
}

export const topicsDescribe: Command = {
  spec: {
    name: 'topics describe',
    positionals: ['name'],
    options: { json: { type: 'boolean' } },
    help: `Usage: tributary topics describe NAME [--json]

Shows a topic's partitions (start and end offsets) and its effective configs.
  --json              print JSON
${dataDirHelp}
`,
  },
  async run({ values, positionals }: ParsedCommand, { out }: CliContext): Promise<number> {
    const name = positionals[0] as string
    const [info] = await withClient(values, (client) => client.admin().describeTopics([name]))
    if (info === undefined) return 1
    if (flag(values, 'json')) {
      await out.write(json(info))
      return 0
    }
    const records = info.partitions.reduce((n, p) => n + p.logEndOffset - p.logStartOffset, 0)
    let text = `Topic: ${info.name}  partitions: ${info.partitions.length}  records: ${records}${info.internal ? '  (internal)' : ''}\n\n`
    text += table(
      ['PARTITION', 'START', 'END', 'RECORDS'],
      info.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset, p.logEndOffset - p.logStartOffset]),
    )
    text += '\nConfigs:\n'
    text += Object.entries(info.configs)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `  ${k}=${v}\n`)
      .join('')
    await out.write(text)
    return 0
  },
}

export const topicsDelete: Command = {
  spec: {
    name: 'topics delete',
    positionals: ['name'],
    options: {},
    help: `Usage: tributary topics delete NAME

Deletes a topic and all its data.
${dataDirHelp}
`,
  },
  async run({ values, positionals }: ParsedCommand, { out }: CliContext): Promise<number> {
    const name = positionals[0] as string
    await withClient(values, (client) => client.admin().deleteTopics([name]))
    await out.write(`Deleted topic ${name}.\n`)
    return 0
  },
}

export const topicsAlter: Command = {
  spec: {
    name: 'topics alter',
    positionals: ['name'],
    options: { partitions: { type: 'string' }, config: { type: 'string', multiple: true }, 'delete-config': { type: 'string', multiple: true } },
    help: `Usage: tributary topics alter NAME [--partitions N] [--config key=value ...] [--delete-config key ...]

Grows a topic to N partitions and/or sets or removes topic configs.
  --partitions N      new total number of partitions (can only grow)
  --config k=v        set a config (repeatable)
  --delete-config k   remove a config, back to the default (repeatable)
${dataDirHelp}
`,
  },
  async run({ values, positionals }: ParsedCommand, { out }: CliContext): Promise<number> {
    const name = positionals[0] as string
    const partitions = intOpt(values, 'partitions', 1, 100_000)
    const changes: Record<string, string | null> = configOpt(values)
    for (const k of listOpt(values, 'delete-config')) changes[k] = null
    if (partitions === undefined && Object.keys(changes).length === 0) {
      throw usageError('topics alter: nothing to change (give --partitions, --config or --delete-config)')
    }
    await withClient(values, async (client) => {
      const admin = client.admin()
      // Check what can be checked first, so a bad request changes nothing.
      const [info] = await admin.describeTopics([name])
      const current = info?.partitions.length ?? 0
      if (partitions !== undefined && partitions <= current) {
        throw new TributaryError(ErrorCode.INVALID_PARTITIONS, `topic ${name} has ${current} partitions; --partitions can only grow it`)
      }
      if (Object.keys(changes).length > 0) await admin.alterTopicConfigs(name, changes)
      if (partitions !== undefined) await admin.createPartitions(name, partitions)
    })
    await out.write(`Altered topic ${name}.\n`)
    return 0
  },
}

export const topicCommands: Record<string, Command> = {
  create: topicsCreate,
  list: topicsList,
  describe: topicsDescribe,
  delete: topicsDelete,
  alter: topicsAlter,
}
