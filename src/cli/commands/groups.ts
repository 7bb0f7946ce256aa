/** @module `tributary groups list|describe|reset-offsets`. */
import { type ResetTarget } from '../../client/types.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type ParsedCommand, atMostOne, flag, intOpt, stringOpt, timeOpt, usageError } from '../args.ts'
import { type CliContext, type Command, withClient } from '../context.ts'
import { json, table } from '../output.ts'

const dataDirHelp = '  --data-dir DIR      where the broker keeps its data (default ./data)'

export const groupsList: Command = {
  spec: {
    name: 'groups list',
    positionals: [],
    options: { json: { type: 'boolean' } },
    help: `Usage: tributary groups list [--json]

Lists consumer groups with their state.
  --json              print a JSON array
${dataDirHelp}
`,
  },
  async run({ values }: ParsedCommand, { out }: CliContext): Promise<number> {
    const groups = await withClient(values, (client) => client.admin().listGroups())
    groups.sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
    if (flag(values, 'json')) await out.write(json(groups))
    else if (groups.length > 0) await out.write(table(['GROUP', 'STATE', 'PROTOCOL-TYPE'], groups.map((g) => [g.groupId, g.state, g.protocolType])))
    return 0
  },
}

export const groupsDescribe: Command = {
  spec: {
    name: 'groups describe',
    positionals: ['group'],
    options: { json: { type: 'boolean' } },
    help: `Usage: tributary groups describe GROUP [--json]

Shows a group's state, its members and, per partition, the committed offset, the end offset and the lag.
  --json              print JSON
${dataDirHelp}
`,
  },
  async run({ values, positionals }: ParsedCommand, { out }: CliContext): Promise<number> {
    const groupId = positionals[0] as string
    const { info, lag } = await withClient(values, async (client) => {
      const admin = client.admin()
      const exists = (await admin.listGroups()).some((g) => g.groupId === groupId)
      if (!exists) throw new TributaryError(ErrorCode.UNKNOWN_GROUP, `unknown group "${groupId}"`)
      return { info: await admin.describeGroup(groupId), lag: await admin.groupLag(groupId) }
    })
    if (flag(values, 'json')) {
      await out.write(json({ ...info, offsets: lag }))
      return 0
    }
    const totalLag = lag.reduce((n, l) => n + l.lag, 0)
    let text = `Group: ${info.groupId}  state: ${info.state}  protocol: ${info.protocol || '-'}  members: ${info.members.length}  lag: ${totalLag}\n`
    if (info.members.length > 0) {
      text += '\n'
      text += table(
        ['MEMBER', 'CLIENT', 'HOST', 'ASSIGNMENT'],
        info.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.assignment.map((tp) => `${tp.topic}/${tp.partition}`).join(',') || '-']),
      )
    }
    if (lag.length > 0) {
      text += '\n'
      text += table(
        ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'],
        lag.map((l) => [l.topic, l.partition, l.committedOffset < 0 ? '-' : l.committedOffset, l.logEndOffset, l.lag]),
      )
    }
    await out.write(text)
    return 0
  },
}

export const groupsResetOffsets: Command = {
  spec: {
    name: 'groups reset-offsets',
    positionals: ['group'],
    options: {
      topic: { type: 'string' },
      partition: { type: 'string' },
      'to-earliest': { type: 'boolean' },
      'to-latest': { type: 'boolean' },
      'to-offset': { type: 'string' },
      'to-datetime': { type: 'string' },
      json: { type: 'boolean' },
    },
    help: `Usage: tributary groups reset-offsets GROUP --topic T (--to-earliest | --to-latest | --to-offset N | --to-datetime ISO) [--partition P]

Moves the committed offsets of a group with no active members, e.g. to replay a topic after a fix.
  --topic T           the topic whose offsets move
  --to-earliest       to the start of each partition
  --to-latest         to the end (skip everything not yet read)
  --to-offset N       to offset N (clamped into each partition's range)
  --to-datetime ISO   to the first record at or after the time, e.g. 2024-05-01T12:00:00Z
  --partition P       only partition P (default: all)
  --json              print the new offsets as JSON
${dataDirHelp}
`,
  },
  async run({ values, positionals }: ParsedCommand, { out }: CliContext): Promise<number> {
    const groupId = positionals[0] as string
    const topic = stringOpt(values, 'topic')
    if (topic === undefined) throw usageError('groups reset-offsets: missing --topic')
    const targets = ['to-earliest', 'to-latest', 'to-offset', 'to-datetime']
    atMostOne(values, targets)
    const offset = intOpt(values, 'to-offset', 0)
    const time = timeOpt(values, 'to-datetime')
    const partition = intOpt(values, 'partition', 0)
    let target: ResetTarget
    if (flag(values, 'to-earliest')) target = 'earliest'
    else if (flag(values, 'to-latest')) target = 'latest'
    else if (offset !== undefined) target = { offset }
    else if (time !== undefined) target = { timestamp: time }
    else throw usageError(`groups reset-offsets: give one of ${targets.map((t) => `--${t}`).join(', ')}`)
    const result = await withClient(values, (client) =>
      client.admin().resetGroupOffsets(groupId, topic, target, partition === undefined ? undefined : [partition]),
    )
    if (flag(values, 'json')) await out.write(json(result.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset }))))
    else await out.write(table(['TOPIC', 'PARTITION', 'NEW-OFFSET'], result.map((r) => [r.topic, r.partition, r.offset])))
    return 0
  },
}

export const groupCommands: Record<string, Command> = {
  list: groupsList,
  describe: groupsDescribe,
  'reset-offsets': groupsResetOffsets,
}
