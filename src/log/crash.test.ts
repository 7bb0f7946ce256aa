import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { after, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { ManualClock } from '../util/clock.ts'
import { acquireDataDirLock, LOCK_FILE } from './data-dir-lock.ts'
import { batchOf, readAllBatches, removeDir, tempDir } from './log-test-support.ts'
import { openPartitionLog } from './partition-log.ts'
import { DEFAULT_LOG_CONFIG } from './types.ts'

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-writer.ts')
const CYCLES = Number(process.env.LOG_CRASH_CYCLES ?? 24)
const SEED = Number(process.env.LOG_CRASH_SEED ?? Date.now() % 1_000_000_007)

const dataDir = tempDir('tributary-crash-')
after(() => removeDir(dataDir))

function mulberry32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface CycleOutput {
  readyEnd: number
  acks: [number, string[]][]
}

/** Runs the writer until `killAfterMs` after it is ready, then SIGKILLs it; returns what it printed. */
async function runWriter(partitionDir: string, cycle: number, killAfterMs: number): Promise<CycleOutput> {
  const child = spawn(process.execPath, [WRITER, dataDir, partitionDir, String(cycle), String(SEED)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const out: CycleOutput = { readyEnd: -1, acks: [] }
  let pending = ''
  let stderr = ''
  let killTimer: NodeJS.Timeout | undefined
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString()
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const [kind, a, b] = line.split(' ')
      if (kind === 'ready') {
        out.readyEnd = Number(a)
        killTimer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
      } else if (kind === 'ack') {
        out.acks.push([Number(a), (b ?? '').split(',')])
      }
    }
  })
  // A writer that never gets ready (it crashed on its own) must not hang the suite.
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null]
  clearTimeout(guard)
  clearTimeout(killTimer)
  assert.equal(signal, 'SIGKILL', `writer of cycle ${cycle} ended by itself (code ${code}): ${stderr}`)
  assert.ok(out.readyEnd >= 0, `writer of cycle ${cycle} never opened the log: ${stderr}`)
  return out
}

it(`every acknowledged record survives SIGKILL, exactly once, at its offset (${CYCLES} cycles, seed ${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED}: rerun with LOG_CRASH_SEED=${SEED}`)
  const random = mulberry32(SEED)
  const partitionDir = path.join(dataDir, 'topic-0')
  const acked = new Map<number, string>()
  const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024, indexIntervalBytes: 1024 }
  let expectedEnd = 0
  let totalAcks = 0
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const { readyEnd, acks } = await runWriter(partitionDir, cycle, Math.floor(random() * 150))
    assert.equal(readyEnd, expectedEnd, `cycle ${cycle}: the writer opened at the end the last check left`)
    for (const [base, ids] of acks) {
      ids.forEach((id, k) => {
        assert.equal(acked.get(base + k), undefined, `offset ${base + k} acknowledged twice`)
        acked.set(base + k, id)
      })
    }
    totalAcks += acks.length

    // The killed writer's lock is stale: take it over, as a restarted broker would.
    assert.ok(fs.existsSync(path.join(dataDir, LOCK_FILE)))
    const lock = await acquireDataDirLock(dataDir)
    const log = await openPartitionLog(partitionDir, config, { clock: new ManualClock(0) })
    try {
      const batches = readAllBatches(log, 1 << 20)
      let expectedOffset = log.logStartOffset
      const seen = new Set<string>()
      for (const batch of batches) {
        assert.equal(batch.baseOffset, expectedOffset, `cycle ${cycle}: offsets are contiguous`)
        for (const r of batch.records) {
          const id = (r.value?.toString() ?? '').split('|')[0] as string
          assert.ok(!seen.has(id), `cycle ${cycle}: record ${id} appears twice`)
          seen.add(id)
          const want = acked.get(r.offset)
          if (want !== undefined) assert.equal(id, want, `cycle ${cycle}: offset ${r.offset}`)
        }
        expectedOffset = batch.lastOffset + 1
      }
      assert.equal(expectedOffset, log.logEndOffset)
      for (const [offset, id] of acked) assert.ok(offset < log.logEndOffset && seen.has(id), `cycle ${cycle}: acknowledged ${id} at ${offset} is lost`)
      const probe = await log.append(batchOf([`probe-${cycle}`]))
      assert.equal(probe.baseOffset, expectedOffset, 'appending continues at the recovered end')
      expectedEnd = log.logEndOffset
    } finally {
      // Half of the cycles leave a clean shutdown behind, half a crash-like close.
      await log.close({ clean: cycle % 2 === 0 })
      await lock.release()
    }
  }
  assert.ok(totalAcks > CYCLES, `the writers made progress (${totalAcks} acknowledged appends)`)
  t.diagnostic(`${acked.size} acknowledged records over ${CYCLES} crashes, ${fs.readdirSync(partitionDir).filter((n) => n.endsWith('.log')).length} segments`)
})
