/**
 * @module q0 latency at a fixed input rate. A paced producer writes events at `rate` events/s, each
 * stamped with its produce time (in `dateTime`, ms with a fraction, and as record timestamp); q0
 * runs as an unbounded job; a consumer of q0's output topic takes output time - produce time for
 * every record. The first `warmupSeconds` of produce time are left out. Producer, broker, job and
 * the measuring consumer share one process (and its event loop), as in every other run here.
 */
import { type Client, type ProducerRecord } from '../../src/client/types.ts'
import { StreamEnvironment } from '../../src/stream/api/stream-environment.ts'
import { type NexmarkEvent, NexmarkGenerator } from '../../src/stream/generators/nexmark.ts'
import { type Measured, measure } from './measure.ts'
import { type EventFormatName, eventFormat, resultFormat } from './event-format.ts'
import { buildNexmarkPipeline } from './pipeline.ts'
import { QUERIES } from './queries.ts'
import { INPUT_TOPIC_CONFIGS, OUTPUT_TOPIC_CONFIGS } from './topics.ts'

export interface LatencyOptions {
  rate: number
  seconds: number
  warmupSeconds: number
  partitions: number
  /** The sink's flush delay: 0 writes as soon as the task's mailbox is drained. */
  sinkDelayMs: number
  format: EventFormatName
}

export interface LatencyResult extends Measured {
  produced: number
  samples: number
  p50: number
  p99: number
  max: number
}

const IN = 'nexmark-latency-in'
const OUT = 'nexmark-latency-q0'
/** Largest send of the paced producer: after a stall it catches up in steps this big. */
const MAX_SEND = 2000
const DATE_TIME = Buffer.from('"dateTime":')

function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

/** The number after "dateTime": in a q0 output record (no full JSON parse on the measuring side). */
function dateTimeOf(value: Buffer): number {
  const at = value.indexOf(DATE_TIME)
  if (at < 0) return Number.NaN
  let end = at + DATE_TIME.length
  while (end < value.length && value[end] !== 0x2c && value[end] !== 0x7d) end++
  return Number(value.toString('latin1', at + DATE_TIME.length, end))
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}

export async function runLatency(client: Client, options: LatencyOptions): Promise<LatencyResult> {
  const { rate, seconds, warmupSeconds, partitions } = options
  const admin = client.admin()
  await admin.createTopics([
    { name: IN, partitions, configs: INPUT_TOPIC_CONFIGS },
    { name: OUT, partitions, configs: OUTPUT_TOPIC_CONFIGS },
  ])
  await admin.close()

  const env = StreamEnvironment.create({ client, repartition: 'memory' })
  const { format } = options
  buildNexmarkPipeline(env, { args: { query: 'q0', input: IN, output: OUT, bounded: false, batching: { maxRecords: 2048, maxDelayMs: options.sinkDelayMs }, format } })
  const events = eventFormat(format)
  const results = resultFormat<{ dateTime: number }>(format, QUERIES.q0.result)
  const outputTime = format === 'json' ? dateTimeOf : (value: Buffer): number => results.deserialize(value).dateTime
  const job = env.execute('nexmark-q0-latency')

  const total = Math.ceil(rate * (seconds + warmupSeconds))
  const latencies = new Float64Array(total)
  let samples = 0
  let produced = 0
  let measureFrom = Number.POSITIVE_INFINITY
  const stop = new AbortController()
  const consumer = client.consumer({ maxWaitMs: 100 })
  await consumer.assign(Array.from({ length: partitions }, (_, p) => ({ topic: OUT, partition: p })))
  for (let p = 0; p < partitions; p++) await consumer.seek({ topic: OUT, partition: p }, 'earliest')
  let bids = 0
  const reading = (async () => {
    let seen = 0
    for await (const batch of consumer.batches({ signal: stop.signal })) {
      const now = nowMs()
      for (const r of batch.records) {
        const t = outputTime(r.value as Buffer)
        if (t >= measureFrom && samples < latencies.length) latencies[samples++] = now - t
      }
      seen += batch.records.length
      if (produced === total && seen >= bids) break
    }
  })()

  const generator = new NexmarkGenerator()
  const producer = client.producer({ acks: 1 })
  const batch: NexmarkEvent[] = new Array(MAX_SEND)
  const m = await measure(total, async () => {
    const start = nowMs()
    measureFrom = start + warmupSeconds * 1000
    const sends: Promise<unknown>[] = []
    while (produced < total) {
      const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * rate)) - produced
      if (due <= 0) {
        await new Promise<void>((resolve) => setTimeout(resolve, 1))
        continue
      }
      const n = generator.nextBatch(Math.min(due, MAX_SEND), batch)
      const t = nowMs()
      const records: ProducerRecord[] = new Array(n)
      for (let i = 0; i < n; i++) {
        const e = batch[i] as NexmarkEvent
        e.dateTime = t
        if (e.type === 'bid') bids++
        records[i] = { topic: IN, partition: (produced + i) % partitions, value: events.serialize(e), timestamp: Math.floor(t) }
      }
      produced += n
      const send = producer.send(records)
      send.catch(() => undefined)
      sends.push(send)
      if (sends.length > 64) await Promise.all(sends.splice(0))
    }
    await Promise.all(sends)
    // Wait (bounded) for the outputs of the last events.
    const deadline = nowMs() + 10_000
    while (nowMs() < deadline && (await Promise.race([reading.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 50))])) === false) {
      /* polling */
    }
  })
  stop.abort()
  await reading.catch(() => undefined)
  await consumer.close()
  await producer.close()
  await job.cancel()
  const sorted = latencies.subarray(0, samples).sort()
  return { ...m, produced, samples, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: samples > 0 ? (sorted[samples - 1] as number) : Number.NaN }
}
