/**
 * @module `tributary consume TOPIC`: prints records as JSON lines. Without --follow it stops at the
 * end of the log as it was when the command started; with --group it joins the group, starts from
 * the group's committed offsets and commits exactly what it printed.
 */
import { type Consumer, type ConsumerRecord, type TopicPartition } from '../../client/types.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type ParsedCommand, atMostOne, flag, intOpt, stringOpt, timeOpt, usageError } from '../args.ts'
import { type CliContext, type Command, requireTopic, withClient } from '../context.ts'

/** How often a bounded run checks whether it reached the end (positions can move without records). */
const END_CHECK_MS = 200

export const consume: Command = {
  spec: {
    name: 'consume',
    positionals: ['topic'],
    options: {
      group: { type: 'string' },
      'from-beginning': { type: 'boolean' },
      offset: { type: 'string' },
      'from-time': { type: 'string' },
      partition: { type: 'string' },
      max: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
    },
    help: `Usage: tributary consume TOPIC [options]

Prints records as JSON lines: {topic, partition, offset, timestamp, key, value, headers}.
key and header values as UTF-8 strings; value parsed when it is JSON, else a string.
Without --follow it stops at the end of the log as of the start; without a start option
it starts at the end (so prints only what arrives, with --follow).
  --from-beginning    start at the earliest offset (with --group: where nothing is committed)
  --offset N          start at offset N (needs --partition)
  --from-time ISO     start at the first record at or after the time, e.g. 2024-05-01T12:00:00Z
  --partition P       read only partition P
  --group G           read as a member of consumer group G, from its committed offsets,
                      and commit what was printed
  --max N             stop after N records
  --follow, -f        keep waiting for new records (Ctrl-C to stop)
  --data-dir DIR      where the broker keeps its data (default ./data)
`,
  },
  async run({ values, positionals }: ParsedCommand, { out, signal }: CliContext): Promise<number> {
    const topic = positionals[0] as string
    atMostOne(values, ['from-beginning', 'offset', 'from-time'])
    const groupId = stringOpt(values, 'group')
    const partition = intOpt(values, 'partition', 0)
    const offset = intOpt(values, 'offset', 0)
    const fromTime = timeOpt(values, 'from-time')
    const max = intOpt(values, 'max', 0)
    const follow = flag(values, 'follow')
    if (groupId !== undefined) {
      const clash = ['partition', 'offset', 'from-time'].find((n) => values[n] !== undefined)
      if (clash !== undefined) throw usageError(`--${clash} cannot be combined with --group (use groups reset-offsets to move a group)`)
    }
    if (offset !== undefined && partition === undefined) throw usageError('--offset needs --partition')

    let printed = 0
    await withClient(values, async (client) => {
      const partitions = await requireTopic(client, topic)
      if (partition !== undefined && partition >= partitions) {
        throw new TributaryError(ErrorCode.UNKNOWN_PARTITION, `topic ${topic} has no partition ${partition} (it has ${partitions})`)
      }
      const consumer = client.consumer({
        clientId: 'tributary-cli',
        autoOffsetReset: flag(values, 'from-beginning') ? 'earliest' : 'latest',
        ...(groupId === undefined ? {} : { groupId }),
      })
      try {
        if (groupId !== undefined) {
          await consumer.subscribe([topic])
        } else {
          const tps: TopicPartition[] =
            partition !== undefined ? [{ topic, partition }] : Array.from({ length: partitions }, (_, p) => ({ topic, partition: p }))
          await consumer.assign(tps)
          for (const tp of tps) {
            if (offset !== undefined) await consumer.seek(tp, offset)
            else if (fromTime !== undefined) await consumer.seek(tp, { timestamp: fromTime })
          }
        }
        const ends = follow ? undefined : await endOffsets(client.admin(), topic)
        printed = await printRecords(consumer, { ends, max, commit: groupId !== undefined, signal, write: (t) => out.write(t) })
      } finally {
        await consumer.close()
      }
    })
    out.status(`Consumed ${printed} record${printed === 1 ? '' : 's'}.`)
    return 0
  },
}

async function endOffsets(admin: { listOffsets(topic: string, spec: 'latest'): Promise<{ partition: number; offset: number }[]> }, topic: string): Promise<Map<number, number>> {
  return new Map((await admin.listOffsets(topic, 'latest')).map((o) => [o.partition, o.offset]))
}

interface PrintOptions {
  ends: Map<number, number> | undefined
  max: number | undefined
  commit: boolean
  signal: AbortSignal
  write(text: string): Promise<void>
}

async function printRecords(consumer: Consumer, o: PrintOptions): Promise<number> {
  const reachedEnd = (): boolean => o.ends !== undefined && consumer.assignment().every((tp) => consumer.position(tp) >= (o.ends?.get(tp.partition) ?? 0))
  if (o.max === 0 || reachedEnd()) return 0
  const stop = new AbortController()
  const onStop = (): void => stop.abort()
  o.signal.addEventListener('abort', onStop, { once: true })
  const timer = o.ends === undefined ? undefined : setInterval(() => reachedEnd() && stop.abort(), END_CHECK_MS)
  let printed = 0
  try {
    for await (const batch of consumer.batches({ signal: stop.signal })) {
      const n = o.max === undefined ? batch.records.length : Math.min(batch.records.length, o.max - printed)
      let text = ''
      for (let i = 0; i < n; i++) text += `${formatRecord(batch.records[i] as ConsumerRecord)}\n`
      await o.write(text)
      printed += n
      if (o.commit && n > 0) {
        const last = batch.records[n - 1] as ConsumerRecord
        await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: last.offset + 1 }])
      }
      if ((o.max !== undefined && printed >= o.max) || reachedEnd()) break
    }
  } finally {
    if (timer !== undefined) clearInterval(timer)
    o.signal.removeEventListener('abort', onStop)
  }
  return printed
}

export function formatRecord(r: ConsumerRecord): string {
  const headers: Record<string, string | null> = {}
  for (const h of r.headers) headers[h.key] = h.value === null ? null : h.value.toString('utf8')
  return JSON.stringify({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key === null ? null : r.key.toString('utf8'),
    value: parseValue(r.value),
    headers,
  })
}

function parseValue(value: Buffer | null): unknown {
  if (value === null) return null
  const s = value.toString('utf8')
  try {
    return JSON.parse(s)
  } catch {
    return s
  }
}
