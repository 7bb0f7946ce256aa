/**
 * @module `tributary demo` (what `npm start` runs): the taxi example end to end in one process. A
 * generator writes NYC taxi rides to `taxi-rides` (4 partitions, keyed by pickup zone) with event
 * time compressed (default 720x: an event-time hour every 5 seconds); the taxi-revenue pipeline
 * (examples/taxi-revenue.ts) counts rides and revenue per zone in hourly event-time windows into
 * `zone-revenue`, late rides into `late-rides`; a summary prints every second.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { HOUR_MS, LATE_RIDES_TOPIC, RIDES_TOPIC, REVENUE_TOPIC, type ZoneRevenue, buildTaxiRevenue } from '../../../examples/taxi-revenue.ts'
import { type Admin, type Client, type ProducerRecord } from '../../client/types.ts'
import { TaxiRideGenerator, type TaxiRide } from '../../stream/generators/taxi-rides.ts'
import { StreamEnvironment } from '../../stream/index.ts'
import { type ParsedCommand, intOpt, stringOpt } from '../args.ts'
import { type CliContext, type Command, kafkaOptionsOf, withClient, withEmbedded } from '../context.ts'
import { DemoStats, WatermarkProbe, discardSink, renderSummary } from './demo-dashboard.ts'

const JOB = 'taxi-revenue'
const PARTITIONS = 4
const TICK_MS = 100
/** Disorder and watermark bound, in event time. */
const OUT_OF_ORDER_MS = 5 * 60_000

interface DemoOptions {
  rate: number
  speed: number
}

export const demo: Command = {
  spec: {
    name: 'demo',
    positionals: [],
    options: { duration: { type: 'string' }, rate: { type: 'string' }, speed: { type: 'string' } },
    help: `Usage: tributary demo [--duration S] [--rate N] [--speed X] [--data-dir DIR]

Runs the taxi example live in one process: a generator writes NYC taxi rides to the topic
taxi-rides (4 partitions, keyed by pickup zone); the taxi-revenue pipeline counts rides and revenue
per zone in 1-hour event-time windows into zone-revenue and routes late rides to late-rides. Event
time runs faster than the clock, so windows close every few seconds. A summary prints every second:
rides produced and processed, the watermark, the last closed window's top zones, late rides and the
pipeline's consumer lag. Ctrl-C stops it cleanly.
  --duration S        stop after S seconds (default: run until Ctrl-C)
  --rate N            rides per second (default 500)
  --speed X           event-time seconds per second (default 720: an hour every 5 s)
  --data-dir DIR      keep the data there (default: a fresh temporary directory, removed at exit)
`,
  },
  async run({ values }: ParsedCommand, { out, signal }: CliContext): Promise<number> {
    const duration = intOpt(values, 'duration', 1, 86_400)
    const options = { rate: intOpt(values, 'rate', 1, 100_000) ?? 500, speed: intOpt(values, 'speed', 1, 1_000_000) ?? 720 }
    const stop = AbortSignal.any(duration === undefined ? [signal] : [signal, AbortSignal.timeout(duration * 1000)])
    const write = (t: string): Promise<void> => out.write(t)
    if (kafkaOptionsOf(values) !== undefined) {
      await withClient(values, (client) => runDemo(client, options, stop, write))
      out.status('Demo stopped.')
      return 0
    }
    const given = stringOpt(values, 'data-dir')
    const dataDir = given ?? (await mkdtemp(path.join(os.tmpdir(), 'tributary-demo-')))
    try {
      await withEmbedded(dataDir, (client) => runDemo(client, options, stop, write))
    } finally {
      if (given === undefined) await rm(dataDir, { recursive: true, force: true })
    }
    out.status('Demo stopped.')
    return 0
  },
}

async function runDemo(client: Client, options: DemoOptions, stop: AbortSignal, write: (text: string) => Promise<void>): Promise<void> {
  const admin = client.admin()
  try {
    const existing = new Set(await admin.listTopics())
    const wanted = [
      { name: RIDES_TOPIC, partitions: PARTITIONS },
      { name: REVENUE_TOPIC, partitions: 1 },
      { name: LATE_RIDES_TOPIC, partitions: 1 },
    ]
    await admin.createTopics(wanted.filter((t) => !existing.has(t.name)))
    const lateAtStart = await endOffset(admin, LATE_RIDES_TOPIC)
    const stats = new DemoStats(PARTITIONS)

    const env = StreamEnvironment.create({ client })
    const pipeline = buildTaxiRevenue(env, { outOfOrdernessMs: OUT_OF_ORDER_MS })
    pipeline.rides.process(new WatermarkProbe(stats)).sinkTo(discardSink())
    const job = env.execute(JOB)
    // A failure of the job, the producer or the results reader ends the demo with its error
    // rather than leaving a frozen summary.
    const halt = new AbortController()
    let failure: unknown
    const fail = (err: unknown): void => {
      failure ??= err
      halt.abort()
    }
    job.done.catch(fail)
    const running = AbortSignal.any([stop, halt.signal])
    const results = readResults(client, stats, running).catch(fail)
    const producing = produce(client, options, stats, running).catch(fail)
    const started = Date.now()
    let last = { at: started, produced: 0, processed: 0 }
    try {
      while (!running.aborted) {
        await sleep(1000, undefined, { signal: running }).catch(() => undefined)
        if (failure !== undefined) break
        const now = Date.now()
        const processed = job.metrics()['enrich']?.['recordsIn'] ?? 0
        const secs = Math.max(0.001, (now - last.at) / 1000)
        const text = renderSummary(stats, {
          elapsedMs: now - started,
          speed: options.speed,
          producedPerSec: Math.round((stats.produced - last.produced) / secs),
          processed,
          processedPerSec: Math.round((processed - last.processed) / secs),
          lag: await groupLag(admin),
          late: (await endOffset(admin, LATE_RIDES_TOPIC)) - lateAtStart,
        })
        last = { at: now, produced: stats.produced, processed }
        await write((process.stdout.isTTY === true ? '\x1b[H\x1b[2J' : '') + text)
      }
    } finally {
      halt.abort()
      await producing
      await job.cancel().catch(() => undefined)
      await results
    }
    if (failure !== undefined) throw failure
  } finally {
    await admin.close()
  }
}

/** Sends rate/10 rides every 100 ms; the generator's event-time rate makes `speed` seconds pass per second. */
async function produce(client: Client, options: DemoOptions, stats: DemoStats, stop: AbortSignal): Promise<void> {
  const gen = new TaxiRideGenerator({
    ridesPerSecond: options.rate / options.speed,
    maxOutOfOrderMs: OUT_OF_ORDER_MS,
    lateFraction: 0.002,
    minLatenessMs: 10 * 60_000,
    maxLatenessMs: 2 * HOUR_MS,
  })
  const producer = client.producer()
  const perTick = Math.max(1, Math.round((options.rate * TICK_MS) / 1000))
  const batch: TaxiRide[] = []
  try {
    while (!stop.aborted) {
      const n = gen.nextBatch(perTick, batch)
      const records: ProducerRecord[] = new Array(n)
      for (let i = 0; i < n; i++) {
        const r = batch[i] as TaxiRide
        records[i] = { topic: RIDES_TOPIC, key: String(r.PULocationID), value: JSON.stringify(r) }
      }
      await producer.send(records)
      stats.produced += n
      await sleep(TICK_MS, undefined, { signal: stop }).catch(() => undefined)
    }
  } finally {
    await producer.close()
  }
}

/** Follows zone-revenue from its end at start, as a dashboard would. */
async function readResults(client: Client, stats: DemoStats, stop: AbortSignal): Promise<void> {
  const consumer = client.consumer()
  try {
    const tp = { topic: REVENUE_TOPIC, partition: 0 }
    await consumer.assign([tp])
    await consumer.seek(tp, 'latest')
    for await (const batch of consumer.batches({ signal: stop })) {
      for (const r of batch.records) if (r.value !== null) stats.addResult(JSON.parse(r.value.toString('utf8')) as ZoneRevenue)
    }
  } finally {
    await consumer.close()
  }
}

async function endOffset(admin: Admin, topic: string): Promise<number> {
  return (await admin.listOffsets(topic, 'latest')).reduce((n, o) => n + o.offset, 0)
}

async function groupLag(admin: Admin): Promise<number> {
  return (await admin.groupLag(JOB)).filter((l) => l.topic === RIDES_TOPIC).reduce((n, l) => n + l.lag, 0)
}
