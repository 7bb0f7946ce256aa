/**
 * @module `npm run bench:broker`: the embedded broker (fsync-before-ack and interval flush) side by
 * side with Redis Streams and NATS JetStream on this machine, in one run. Prints a Markdown table.
 *
 *   --records N        embedded records per mode (default 5,000,000)
 *   --peer-records N   records per peer (default 1,000,000; peers are 10-50x slower)
 *   --skip-peers       embedded only
 */
import { parseArgs } from 'node:util'
import { benchEmbedded } from './embedded.ts'
import { benchNatsJetStream, benchRedisStreams } from './peers.ts'
import { type BenchResult, machineLine, toMarkdown } from './report.ts'

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '5000000' },
    'peer-records': { type: 'string', default: '1000000' },
    'record-bytes': { type: 'string', default: '100' },
    batch: { type: 'string', default: '1000' },
    'skip-peers': { type: 'boolean', default: false },
  },
  strict: true,
})

const records = Number(values.records)
const peerRecords = Number(values['peer-records'])
const recordBytes = Number(values['record-bytes'])
const batch = Number(values.batch)
for (const [name, v] of Object.entries({ records, peerRecords, recordBytes, batch })) {
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`bench:broker: --${name} must be a positive integer`)
    process.exit(2)
  }
}

const rows: BenchResult[] = []
async function step(label: string, fn: () => Promise<BenchResult[]>): Promise<void> {
  process.stderr.write(`running ${label}...\n`)
  try {
    rows.push(...(await fn()))
  } catch (err) {
    process.stderr.write(`${label} failed: ${(err as Error).message}\n`)
  }
}

await step('embedded (interval flush)', () => benchEmbedded(records, recordBytes, batch, 'interval'))
await step('embedded (fsync before ack)', () => benchEmbedded(records, recordBytes, batch, 'fsync'))
if (!values['skip-peers']) {
  await step('Redis Streams', () => benchRedisStreams(peerRecords, recordBytes, batch))
  await step('NATS JetStream', () => benchNatsJetStream(peerRecords, recordBytes, batch))
}

console.log(`Machine: ${machineLine()}`)
console.log(`Records of ${recordBytes} bytes, batches of ${batch}.\n`)
console.log(toMarkdown(rows))
const best = (phase: 'produce' | 'consume'): number =>
  Math.max(0, ...rows.filter((r) => r.phase === phase && !r.system.startsWith('Tributary')).map((r) => r.records / r.seconds))
for (const phase of ['produce', 'consume'] as const) {
  const peer = best(phase)
  if (peer === 0) continue
  for (const r of rows.filter((x) => x.phase === phase && x.system.startsWith('Tributary'))) {
    console.log(`${r.system} ${phase}: ${(r.records / r.seconds / peer).toFixed(1)}x the best peer`)
  }
}
