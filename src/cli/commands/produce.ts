/**
 * @module `tributary produce TOPIC`: JSON lines from stdin, one record per line, the line itself as
 * the value. Lines are sent in batches; each batch is validated before it is sent, so an invalid
 * line stops the run with nothing of its batch written and says how many records went before it.
 */
import { type Client, type Producer, type ProducerRecord } from '../../client/types.ts'
import { ErrorCode, TributaryError, toTributaryError } from '../../util/errors.ts'
import { type ParsedCommand, atMostOne, intOpt, stringOpt } from '../args.ts'
import { type CliContext, type Command, requireTopic, withClient } from '../context.ts'

/** Lines per send and bytes per send (under the default max.message.bytes of 1 MiB). */
const BATCH_RECORDS = 1000
const BATCH_BYTES = 512 * 1024

interface KeyRule {
  constant?: string
  field?: string
}

export const produce: Command = {
  spec: {
    name: 'produce',
    positionals: ['topic'],
    options: { 'key-field': { type: 'string' }, key: { type: 'string' }, partition: { type: 'string' } },
    help: `Usage: tributary produce TOPIC [--key-field F | --key K] [--partition P]

Reads JSON lines from stdin and writes one record per line; the line is the record value.
Blank lines are skipped. An invalid line stops the run: records of earlier batches are kept,
nothing of the invalid line's batch is written, and the error names the line.
  --key-field F       use the value of field F of each line (as a UTF-8 string) as the key
  --key K             use K as the key of every record
  --partition P       write to partition P (default: by key with murmur2, as Kafka; keyless spread)
  --data-dir DIR      where the broker keeps its data (default ./data)
`,
  },
  async run({ values, positionals }: ParsedCommand, { out, signal }: CliContext): Promise<number> {
    const topic = positionals[0] as string
    atMostOne(values, ['key-field', 'key'])
    const partition = intOpt(values, 'partition', 0)
    const key: KeyRule = {}
    const field = stringOpt(values, 'key-field')
    const constant = stringOpt(values, 'key')
    if (field !== undefined) key.field = field
    if (constant !== undefined) key.constant = constant
    const produced = await withClient(values, async (client) => {
      const partitions = await requireTopic(client, topic)
      if (partition !== undefined && partition >= partitions) {
        throw new TributaryError(ErrorCode.UNKNOWN_PARTITION, `topic ${topic} has no partition ${partition} (it has ${partitions})`)
      }
      return produceLines(client, topic, partition, key, signal)
    })
    out.status(`Produced ${produced} record${produced === 1 ? '' : 's'} to ${topic}.`)
    return 0
  },
}

async function produceLines(client: Client, topic: string, partition: number | undefined, key: KeyRule, signal: AbortSignal): Promise<number> {
  const producer = client.producer()
  let produced = 0
  let lineNo = 0
  let batch: ProducerRecord[] = []
  let batchBytes = 0
  let rest = ''
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return
    await sendBatch(producer, batch, produced)
    produced += batch.length
    batch = []
    batchBytes = 0
  }
  const take = async (line: string): Promise<void> => {
    lineNo++
    const text = line.endsWith('\r') ? line.slice(0, -1) : line
    if (text.trim() === '') return
    batch.push(toRecord(topic, text, lineNo, key, partition, produced))
    batchBytes += text.length
    if (batch.length >= BATCH_RECORDS || batchBytes >= BATCH_BYTES) await flush()
  }
  try {
    process.stdin.setEncoding('utf8')
    for await (const chunk of process.stdin as AsyncIterable<string>) {
      if (signal.aborted) break
      const lines = (rest + chunk).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) await take(line)
      // Send what this chunk completed, so piping a slow source still produces promptly.
      await flush()
    }
    if (rest !== '' && !signal.aborted) await take(rest)
    await flush()
  } finally {
    await producer.close()
  }
  return produced
}

function toRecord(topic: string, text: string, lineNo: number, rule: KeyRule, partition: number | undefined, produced: number): ProducerRecord {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw lineError(lineNo, `is not valid JSON (${clip((err as Error).message)})`, produced)
  }
  let key: string | null = null
  if (rule.constant !== undefined) key = rule.constant
  else if (rule.field !== undefined) {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw lineError(lineNo, `is not a JSON object, so it has no field "${rule.field}"`, produced)
    if (!Object.hasOwn(parsed, rule.field)) throw lineError(lineNo, `has no field "${rule.field}"`, produced)
    const v = (parsed as Record<string, unknown>)[rule.field]
    key = v === null ? null : typeof v === 'string' ? v : JSON.stringify(v)
  }
  return partition === undefined ? { topic, key, value: text } : { topic, key, value: text, partition }
}

function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 97)}...` : s
}

function lineError(lineNo: number, what: string, produced: number): TributaryError {
  return new TributaryError(ErrorCode.INVALID_RECORD, `line ${lineNo} ${what}; ${produced} record${produced === 1 ? '' : 's'} produced before it, none after`)
}

async function sendBatch(producer: Producer, batch: ProducerRecord[], produced: number): Promise<void> {
  try {
    await producer.send(batch)
  } catch (err) {
    const e = toTributaryError(err)
    throw new TributaryError(e.code, `${e.message}; ${produced} record${produced === 1 ? '' : 's'} produced before this batch`, { cause: err })
  }
}
