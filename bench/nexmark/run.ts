/**
 * @module `npm run bench:nexmark`: Nexmark queries on the embedded broker, topic to topic. The
 * generator stage writes the events to `nexmark-events` first (its rate is reported apart); each
 * query then runs as a bounded job over them; finally q0 runs unbounded behind a paced producer
 * for its latency. Prints a Markdown table and the latency line.
 *
 *   --events N            events for q0-q2 (default 2,000,000)
 *   --windowed-events N   events for q5, q11, q12 (default 1,000,000; their own topic)
 *   --queries LIST        default q0,q1,q2,q5,q11,q12
 *   --partitions P        partitions of every topic, so tasks per stage (default 4)
 *   --workers W           run q0, q1, q2 over W worker threads (default 2; 0: on the main thread)
 *   --keyed-workers K     the same for the queries with a keyBy, q5, q11, q12 (default 0)
 *   --latency-rate R      events/s of the paced q0 run (default 100,000)
 *   --latency-seconds S   measured seconds of it (default 10, after 2 s of warm-up); 0 skips it
 *   --format F            row (default: compact binary rows) or json, for events and results
 *   --dir PATH            where the broker's data directory goes (default the OS temp dir)
 *   --warmup-events N     events of an unmeasured q0 run first, with the same workers (default 200,000; 0 skips)
 *   --pool P              with --workers: keep the worker threads between queries (yes, default) or not (no)
 *   --malloc M            tuned (default: glibc malloc keeps freed memory, see allocator.ts) or default
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { openEmbedded } from '../../src/client/embedded/index.ts'
import { MALLOC_ENV, mallocTuned, rerunWithMallocEnv } from './allocator.ts'
import { EVENT_FORMATS, type EventFormatName } from './event-format.ts'
import { runLatency } from './latency.ts'
import { loadEvents } from './load.ts'
import { QUERIES, QUERY_NAMES, type QueryName } from './queries.ts'
import { type Row, latencyLine, machineLine, toMarkdown } from './report.ts'
import { WorkerPool } from '../../src/stream/parallel/worker-pool.ts'
import { runQuery } from './throughput.ts'
import { EVENTS_TOPIC, INPUT_TOPIC_CONFIGS } from './topics.ts'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    'windowed-events': { type: 'string', default: '1000000' },
    queries: { type: 'string', default: QUERY_NAMES.join(',') },
    partitions: { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    'keyed-workers': { type: 'string', default: '0' },
    'latency-rate': { type: 'string', default: '100000' },
    'latency-seconds': { type: 'string', default: '10' },
    format: { type: 'string', default: 'row' },
    dir: { type: 'string', default: os.tmpdir() },
    malloc: { type: 'string', default: 'tuned' },
    'warmup-events': { type: 'string', default: '200000' },
    pool: { type: 'string', default: 'yes' },
  },
  strict: true,
})

if (values.malloc !== 'tuned' && values.malloc !== 'default') {
  console.error('bench:nexmark: --malloc must be tuned or default')
  process.exit(2)
}
if (values.malloc === 'tuned') {
  const code = rerunWithMallocEnv()
  if (code !== undefined) process.exit(code)
}

function count(name: string, min: number): number {
  const v = Number((values as Record<string, string>)[name]?.replaceAll('_', '').replaceAll(',', ''))
  if (!Number.isInteger(v) || v < min) {
    console.error(`bench:nexmark: --${name} must be an integer >= ${min}`)
    process.exit(2)
  }
  return v
}

const events = count('events', 1)
const windowedEvents = count('windowed-events', 1)
const partitions = count('partitions', 1)
const workers = count('workers', 0)
const keyedWorkers = count('keyed-workers', 0)
const latencyRate = count('latency-rate', 1)
const latencySeconds = count('latency-seconds', 0)
const warmupEvents = count('warmup-events', 0)
const queries = values.queries.split(',').map((q) => q.trim()).filter((q) => q !== '')
for (const q of queries) {
  if (!(QUERY_NAMES as readonly string[]).includes(q)) {
    console.error(`bench:nexmark: unknown query ${q} (known: ${QUERY_NAMES.join(', ')})`)
    process.exit(2)
  }
}
if (!(EVENT_FORMATS as readonly string[]).includes(values.format)) {
  console.error(`bench:nexmark: --format must be one of ${EVENT_FORMATS.join(', ')}`)
  process.exit(2)
}
if (values.pool !== 'yes' && values.pool !== 'no') {
  console.error('bench:nexmark: --pool must be yes or no')
  process.exit(2)
}
const format = values.format as EventFormatName
const windowed = (q: string): boolean => QUERIES[q as QueryName].eventTime || q === 'q12'

const loadAtStart = os.loadavg()[0] as number
const dataDir = await mkdtemp(path.join(values.dir, 'tributary-nexmark-'))
const { broker, client } = await openEmbedded({ dataDir })
// Worker threads for the queries that run on them: with a keyBy their exchanges go through
// repartition topics, which costs more than it gains here (see README), hence two settings.
const workersFor = (q: string): number => (QUERIES[q as QueryName].keyed ? keyedWorkers : workers)
const usedWorkers = [...new Set(queries.map(workersFor))]
const pool = usedWorkers.some((w) => w > 0) && values.pool === 'yes' ? new WorkerPool() : undefined
const rows: Row[] = []
let latency: Awaited<ReturnType<typeof runLatency>> | undefined
try {
  const admin = client.admin()
  // One topic per event count; the windowed one holds the first events of the same stream.
  const topics = new Map<number, string>()
  for (const q of queries) {
    const n = windowed(q) ? windowedEvents : events
    if (!topics.has(n)) topics.set(n, topics.size === 0 ? EVENTS_TOPIC : `${EVENTS_TOPIC}-${n}`)
  }
  for (const [n, topic] of topics) {
    await admin.createTopics([{ name: topic, partitions, configs: INPUT_TOPIC_CONFIGS }])
    process.stderr.write(`generating ${n.toLocaleString('en-US')} events into ${topic}...\n`)
    const m = await loadEvents(client, topic, partitions, n, format)
    if (rows.length === 0) rows.push({ name: 'generator → topic', ...m, notes: `${format === 'json' ? 'JSON' : 'row-format'} events into ${partitions} partitions` })
  }
  const warmupWorkers = Math.max(...usedWorkers, 0)
  if (warmupEvents > 0) {
    // Process-wide first-run costs (allocator arenas, file caches) go here, not into the first query.
    // Every measured query still starts its own worker threads, cold.
    const topic = `${EVENTS_TOPIC}-warmup`
    await admin.createTopics([{ name: topic, partitions, configs: INPUT_TOPIC_CONFIGS }])
    process.stderr.write(`warming up: q0 over ${warmupEvents.toLocaleString('en-US')} events (not measured)...\n`)
    await loadEvents(client, topic, partitions, warmupEvents, format)
    await runQuery(client, { query: 'q0', job: 'nexmark-warmup', input: topic, partitions, events: warmupEvents, workers: warmupWorkers, format, ...(pool === undefined ? {} : { pool }) })
    await admin.deleteTopics([topic, 'nexmark-warmup-out'])
  }
  await admin.close()
  for (const q of queries) {
    const def = QUERIES[q as QueryName]
    const n = windowed(q) ? windowedEvents : events
    process.stderr.write(`running ${q} over ${n.toLocaleString('en-US')} events...\n`)
    const w = workersFor(q)
    const r = await runQuery(client, { query: q as QueryName, job: `nexmark-${q}`, input: topics.get(n) as string, partitions, events: n, workers: w, format, ...(pool === undefined ? {} : { pool }) })
    const open = q === 'q12' ? ' (windows still open at end of input are not emitted)' : ''
    const notes = `${r.outputs.toLocaleString('en-US')} output records${open}; ${w === 0 ? 'main thread' : `${w} worker thread${w === 1 ? '' : 's'}`}`
    rows.push({ name: `${q} ${def.title}`, ...r, notes })
  }
  if (latencySeconds > 0) {
    process.stderr.write(`running q0 at ${latencyRate.toLocaleString('en-US')} events/s for ${latencySeconds + 2} s...\n`)
    latency = await runLatency(client, { rate: latencyRate, seconds: latencySeconds, warmupSeconds: 2, partitions, sinkDelayMs: 0, format })
  }
} catch (err) {
  console.error('bench:nexmark failed:', err)
  process.exitCode = 1
} finally {
  await pool?.close()
  await client.close().catch((err: unknown) => console.error('closing the client:', err))
  await broker.close().catch((err: unknown) => console.error('closing the broker:', err))
  await rm(dataDir, { recursive: true, force: true })
}

console.log(`Machine: ${machineLine()}; load average ${loadAtStart.toFixed(2)} at start`)
const threads = (w: number): string => (w === 0 ? 'on the main thread, keyBy in memory' : `over ${w} worker thread${w === 1 ? '' : 's'}${pool === undefined ? ' per query' : ' kept between queries'} through a remote client, keyBy through repartition topics`)
const placement = `q0–q2 ${threads(workers)}; q5, q11, q12 ${threads(keyedWorkers)}`
const encoding = format === 'json' ? 'JSON events and results' : 'events and results in the binary row format'
const malloc = mallocTuned() ? `glibc malloc tuned (${Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})` : 'malloc defaults'
console.log(`Embedded broker, ${partitions} partitions per topic (one task per partition; ${placement}), ${encoding}, ${malloc}.\n`)
console.log(toMarkdown(rows))
if (latency !== undefined) console.log(`\n${latencyLine(latency, latencyRate)}`)
