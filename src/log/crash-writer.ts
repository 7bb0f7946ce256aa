/**
 * @module The child process of the crash test (crash.test.ts), run with Node 24 as
 * `crash-writer.ts <dataDir> <partitionDir> <cycle> <seed>`. Takes the data directory lock, opens the
 * log in fsync mode, prints `ready <logEndOffset>`, then appends batches of unique payloads with
 * several appends in flight and prints `ack <baseOffset> <id,id,...>` for each acknowledged one, until
 * the parent kills it. stdout is a pipe, written synchronously on Linux: a printed ack reached the parent.
 */
import { encodeRecordBatch } from '../protocol/records/record-batch.ts'
import { systemClock } from '../util/clock.ts'
import { acquireDataDirLock } from './data-dir-lock.ts'
import { openPartitionLog } from './partition-log.ts'
import { DEFAULT_LOG_CONFIG } from './types.ts'

const [dataDir, partitionDir, cycleArg, seedArg] = process.argv.slice(2)
if (dataDir === undefined || partitionDir === undefined || cycleArg === undefined || seedArg === undefined) {
  throw new Error('usage: crash-writer.ts <dataDir> <partitionDir> <cycle> <seed>')
}
const cycle = Number(cycleArg)

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from the logged seed. */
let state = (Number(seedArg) * 7919 + cycle * 104729) >>> 0
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

await acquireDataDirLock(dataDir)
const log = await openPartitionLog(partitionDir, { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024, indexIntervalBytes: 1024 }, { clock: systemClock })
process.stdout.write(`ready ${log.logEndOffset}\n`)

let next = 0
async function writer(): Promise<void> {
  for (;;) {
    const count = 1 + Math.floor(random() * 12)
    const ids = Array.from({ length: count }, () => `${cycle}.${next++}`)
    const pad = 'x'.repeat(Math.floor(random() * 300))
    const batch = encodeRecordBatch(ids.map((id) => ({ value: `${id}|${pad}` })), { timestamp: systemClock.now() })
    const r = await log.append(batch)
    process.stdout.write(`ack ${r.baseOffset} ${ids.join(',')}\n`)
  }
}

await Promise.all([writer(), writer(), writer(), writer()])
