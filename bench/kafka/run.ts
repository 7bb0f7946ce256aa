/**
 * @module `npm run bench:kafka`: Tributary over the Kafka protocol (`tributary broker start` as a child process,
 * clients here: Tributary's Kafka client on @platformatic/kafka, and kcat/librdkafka) side by side
 * with Redis Streams and NATS JetStream, in one run. Throughput (records/s, MB/s, broker and client
 * CPU) and produce-to-consume latency (p50/p99) at a fixed rate. Prints Markdown tables.
 *
 *   --records N          records per Tributary throughput run (default 5,000,000: kcat's process start
 *                        and metadata round trips are then a small part of its run)
 *   --peer-records N     records per peer throughput run (default 1,000,000)
 *   --record-bytes N     record value size (default 100)
 *   --batch N            records per send of the in-process clients (default 1000)
 *   --rate N             records/s of the latency runs (default 50,000)
 *   --latency-seconds S  length of each latency run (default 10)
 *   --latency-runs N     latency runs per system, taking turns between systems (default 3)
 *   --skip-peers         Tributary only
 *   --skip-kcat          no kcat runs
 */
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { benchNatsJetStream, benchRedisStreams } from '../broker/peers.ts'
import { type BenchResult, machineLine } from '../broker/report.ts'
import { pidOf, processCpuSeconds } from './cpu.ts'
import { type LatencyResult } from './latency.ts'
import { type CpuResult, type Target, benchKafkaClient, benchKcat } from './throughput.ts'

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '5000000' },
    'peer-records': { type: 'string', default: '1000000' },
    'record-bytes': { type: 'string', default: '100' },
    batch: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50000' },
    'latency-seconds': { type: 'string', default: '10' },
    'latency-runs': { type: 'string', default: '3' },
    'skip-peers': { type: 'boolean', default: false },
    'skip-kcat': { type: 'boolean', default: false },
  },
  strict: true,
})

const numbers = {
  records: Number(values.records),
  'peer-records': Number(values['peer-records']),
  'record-bytes': Number(values['record-bytes']),
  batch: Number(values.batch),
  rate: Number(values.rate),
  'latency-seconds': Number(values['latency-seconds']),
  'latency-runs': Number(values['latency-runs']),
}
for (const [name, v] of Object.entries(numbers)) {
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`bench:kafka: --${name} must be a positive integer`)
    process.exit(2)
  }
}
const { records, batch, rate } = numbers
const peerRecords = numbers['peer-records']
const recordBytes = numbers['record-bytes']
const latencySeconds = numbers['latency-seconds']
const latencyRuns = numbers['latency-runs']

/** The Node flags of the launcher's shebang (`#!/usr/bin/env -S node FLAGS`): the broker runs as `tributary` runs it. */
function launcherNodeFlags(cli: string): string[] {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0] ?? ''
  const m = /^#!\S*env -S node(.*)$/.exec(first)
  return m === null ? [] : (m[1] ?? '').trim().split(/\s+/).filter((f) => f !== '')
}

/** Starts `tributary broker start` on a fresh data directory and a free port; resolves once it listens. */
async function startBroker(dataDir: string): Promise<{ target: Target; stop(): Promise<void> }> {
  const cli = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url))
  const child = spawn(process.execPath, [...launcherNodeFlags(cli), cli, 'broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (line) => {
      const m = /^Listening on [^ ]+:(\d+) /.exec(line)
      if (m !== null) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`tributary broker start exited (${code}) before listening`)))
  })
  return {
    target: { bootstrap: `127.0.0.1:${port}`, brokerPid: child.pid as number },
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** One latency run in a fresh process (latency-main.ts), so no run measures through another's heap. */
async function latencyInChild(system: 'tributary' | 'kcat' | 'redis' | 'nats', target?: Target): Promise<LatencyResult> {
  // Dirty pages another system left (NATS writes its store without fsync) would be written back
  // during this run and stall any fsync on the disk: every run starts with them on disk.
  spawnSync('sync')
  const main = fileURLToPath(new URL('./latency-main.ts', import.meta.url))
  const args = [main, system, String(rate), String(latencySeconds), String(recordBytes), ...(target === undefined ? [] : [target.bootstrap, String(target.brokerPid)])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  const line = out.trim().split('\n').pop() ?? ''
  if (code !== 0 || !line.startsWith('{')) throw new Error(`latency run of ${system} exited ${code}`)
  return JSON.parse(line) as LatencyResult
}

// A peer client's stray rejection (e.g. a publish timing out after its run failed) must not end the whole run.
process.on('unhandledRejection', (err) => process.stderr.write(`unhandled rejection: ${(err as Error).message}\n`))

const throughput: (CpuResult | BenchResult)[] = []
const latency: LatencyResult[] = []
async function step<T>(label: string, into: T[], fn: () => Promise<T[]>): Promise<void> {
  process.stderr.write(`running ${label}...\n`)
  try {
    into.push(...(await fn()))
  } catch (err) {
    process.stderr.write(`${label} failed: ${(err as Error).message}\n`)
  }
}

/** Runs a peer throughput benchmark, adding the peer server's CPU over produce and consume together. */
async function peer(server: string, fn: () => Promise<BenchResult[]>): Promise<CpuResult[]> {
  const pid = pidOf(server)
  const before = pid === undefined ? undefined : processCpuSeconds(pid)
  const rows: CpuResult[] = await fn()
  if (pid !== undefined && before !== undefined && rows.length > 0) {
    const cpu = processCpuSeconds(pid) - before
    // One figure for both phases: the peer helpers time them back to back.
    for (const r of rows) r.brokerCpu = cpu / rows.length
  }
  return rows
}

const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-kafka-'))
try {
  const broker = await startBroker(path.join(work, 'data'))
  try {
    await step('Tributary: Kafka client (@platformatic/kafka)', throughput, () => benchKafkaClient(broker.target, records, recordBytes, batch))
    if (!values['skip-kcat']) await step('Tributary: kcat', throughput, () => benchKcat(broker.target, records, recordBytes, path.join(work, 'records.txt')))
    if (!values['skip-peers']) {
      await step('Redis Streams', throughput, () => peer('redis-server', () => benchRedisStreams(peerRecords, recordBytes, batch)))
      await step('NATS JetStream', throughput, () => peer('nats-server', () => benchNatsJetStream(peerRecords, recordBytes, batch)))
    }
    // Latency runs take turns (every system once, then again), so a noisy moment of the machine
    // does not fall on one system's runs only.
    for (let run = 1; run <= latencyRuns; run++) {
      await step(`Tributary latency at ${rate}/s (run ${run})`, latency, async () => [await latencyInChild('tributary', broker.target)])
      if (!values['skip-kcat']) await step(`Tributary latency with kcat at ${rate}/s (run ${run})`, latency, async () => [await latencyInChild('kcat', broker.target)])
      if (!values['skip-peers']) {
        await step(`Redis Streams latency at ${rate}/s (run ${run})`, latency, async () => [await latencyInChild('redis')])
        await step(`NATS JetStream latency at ${rate}/s (run ${run})`, latency, async () => [await latencyInChild('nats')])
      }
    }
  } finally {
    await broker.stop()
  }
} finally {
  await rm(work, { recursive: true, force: true })
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits))

console.log(`Machine: ${machineLine()}`)
console.log(`Records of ${recordBytes} bytes, one partition/stream; in-process clients send ${batch} records per request.\n`)
console.log('| system | phase | records | records/s | MB/s | broker CPU s | client CPU s | durability |')
console.log('|---|---|---:|---:|---:|---:|---:|---|')
for (const r of throughput as CpuResult[]) {
  console.log(
    `| ${r.system} | ${r.phase} | ${r.records.toLocaleString('en-US')} | ${Math.round(r.records / r.seconds).toLocaleString('en-US')} | ${fmt(r.bytes / r.seconds / 1e6)} | ${fmt(r.brokerCpu, 2)} | ${fmt(r.clientCpu, 2)} | ${r.durability} |`,
  )
}
console.log('\nPeer broker CPU is the server process over produce and consume together, split evenly; peer client CPU is not measured.')
console.log(`\nProduce-to-consume latency at ${rate.toLocaleString('en-US')} records/s, ${latencyRuns} runs of ${latencySeconds} s per system (first second of each not counted):\n`)
console.log('| system | achieved records/s | records counted | p50 ms | p99 ms | max ms | broker CPU s/s | durability |')
console.log('|---|---:|---:|---:|---:|---:|---:|---|')
for (const l of latency) {
  console.log(
    `| ${l.system} | ${Math.round(l.achieved).toLocaleString('en-US')} | ${l.records.toLocaleString('en-US')} | ${fmt(l.p50, 2)} | ${fmt(l.p99, 2)} | ${fmt(l.max, 2)} | ${fmt(l.brokerCpuPerSecond, 2)} | ${l.durability} |`,
  )
}
console.log('\nMedian over the runs of each system:\n')
console.log('| system | runs | p50 ms | p99 ms | p99 of each run |')
console.log('|---|---:|---:|---:|---|')
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2
}
for (const system of new Set(latency.map((l) => l.system))) {
  const runs = latency.filter((l) => l.system === system)
  console.log(`| ${system} | ${runs.length} | ${fmt(median(runs.map((r) => r.p50)), 2)} | ${fmt(median(runs.map((r) => r.p99)), 2)} | ${runs.map((r) => fmt(r.p99, 2)).join(', ')} |`)
}
console.log('\nA system that cannot sustain the rate is throttled to at most one second of unacknowledged records; its achieved rate is lower.')
