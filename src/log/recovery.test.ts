import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { BatchOffsets } from '../protocol/records/batch-header.ts'
import { ManualClock } from '../util/clock.ts'
import { ErrorCode, isTributaryError, type TributaryError } from '../util/errors.ts'
import { batchOf, batchSizes, decodeBatches, readAllRecords, removeDir, segmentFiles, snapshotDir, tempDir, testConfig, valueOf } from './log-test-support.ts'
import { openPartitionLog } from './partition-log.ts'
import { type LogConfig } from './types.ts'

const clock = new ManualClock(0)
const created: string[] = []
after(() => {
  for (const dir of created) removeDir(dir)
})

function newDir(): string {
  const dir = tempDir()
  created.push(dir)
  return dir
}

/** Writes `values` one batch each and closes without the clean-shutdown marker (as a crash would). */
async function writeLog(dir: string, values: readonly string[], config: LogConfig): Promise<void> {
  const log = await openPartitionLog(dir, config, { clock })
  for (const v of values) await log.append(batchOf([v, `${v}-second`]))
  await log.close({ clean: false })
}

/** Start position of every batch in a segment file. */
function batchStarts(file: string): number[] {
  const starts: number[] = []
  let pos = 0
  for (const size of batchSizes(fs.readFileSync(file))) {
    starts.push(pos)
    pos += size
  }
  return starts
}

function expectCorrupt(err: unknown, file: string, position: number): boolean {
  assert.ok(isTributaryError(err, ErrorCode.CORRUPT_LOG), `expected CORRUPT_LOG, got ${String(err)}`)
  const message = (err as TributaryError).message
  assert.ok(message.includes(file), `message names the file: ${message}`)
  assert.ok(message.includes(`byte ${position}`), `message names byte ${position}: ${message}`)
  return true
}

describe('torn tail', () => {
  const values = ['alpha', 'bravo', 'charlie', 'delta', 'echo']
  const config = testConfig({ indexIntervalBytes: 0 })

  it('recovers exactly the valid prefix for a cut at every byte of the last batch, with and without junk after it', async () => {
    const source = newDir()
    await writeLog(source, values, config)
    const logName = '00000000000000000000.log'
    const original = fs.readFileSync(path.join(source, logName))
    const lastStart = batchStarts(path.join(source, logName)).at(-1) as number
    const rng = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 300 }), { numRuns: original.length, seed: 7 })
    const dir = newDir()
    for (let cut = lastStart; cut < original.length; cut++) {
      const junk = rng[cut] as Uint8Array
      for (const tail of [Buffer.alloc(0), Buffer.alloc(junk.length), Buffer.from(junk)]) {
        removeDir(dir)
        fs.cpSync(source, dir, { recursive: true })
        const damaged = Buffer.concat([original.subarray(0, cut), tail])
        fs.writeFileSync(path.join(dir, logName), damaged)
        // Zeros can restore a batch that ended in zero bytes: then it is whole again and must stay.
        const intact = damaged.length >= original.length && damaged.subarray(0, original.length).equals(original)
        const validEnd = intact ? original.length : lastStart
        const log = await openPartitionLog(dir, config, { clock })
        try {
          assert.equal(log.logEndOffset, intact ? 10 : 8, `cut at ${cut} + ${tail.length} bytes`)
          assert.deepEqual(readAllRecords(log).map(valueOf).filter((_, i) => i % 2 === 0), values.slice(0, intact ? 5 : 4))
          assert.equal(fs.statSync(path.join(dir, logName)).size, validEnd)
          if (damaged.length > validEnd) assert.equal(log.recoveryReport.truncated?.position, validEnd)
          assert.equal((await log.append(batchOf(['again']))).baseOffset, intact ? 10 : 8)
        } finally {
          await log.close()
        }
      }
    }
  })

  it('keeps a complete last batch and everything before it', async () => {
    const dir = newDir()
    await writeLog(dir, values, config)
    const log = await openPartitionLog(dir, config, { clock })
    assert.equal(log.logEndOffset, 10)
    assert.equal(log.recoveryReport.truncated, undefined)
    await log.close()
  })
})

describe('corruption in the middle of the log', () => {
  const config = testConfig({ segmentBytes: 600, indexIntervalBytes: 0 })
  const values = Array.from({ length: 24 }, (_, i) => `value-${i}`)

  async function corruptAndOpen(mutate: (dir: string, segs: string[]) => { file: string; position: number }): Promise<void> {
    const dir = newDir()
    await writeLog(dir, values, config)
    // Without the checkpoint the recovery point is lost: every segment is validated, sealed ones too.
    fs.rmSync(path.join(dir, 'log.checkpoint'))
    const segs = segmentFiles(dir)
    assert.ok(segs.length >= 3)
    const { file, position } = mutate(dir, segs)
    const before = snapshotDir(dir)
    await assert.rejects(openPartitionLog(dir, config, { clock }), (e) => expectCorrupt(e, file, position))
    assert.deepEqual(snapshotDir(dir), before, 'a failed open modifies no file')
    await assert.rejects(openPartitionLog(dir, config, { clock }), (e) => isTributaryError(e, ErrorCode.CORRUPT_LOG))
  }

  function flipByte(file: string, at: number): void {
    const buf = fs.readFileSync(file)
    buf[at] = (buf[at] as number) ^ 0x04
    fs.writeFileSync(file, buf)
  }

  it('refuses a bit flip in a sealed segment', async () => {
    await corruptAndOpen((dir, segs) => {
      const file = path.join(dir, segs[0] as string)
      const start = batchStarts(file)[1] as number
      flipByte(file, start + 70)
      return { file, position: start }
    })
  })

  it('refuses a bit flip in a batch before the last one of the active segment', async () => {
    await corruptAndOpen((dir, segs) => {
      const file = path.join(dir, segs.at(-1) as string)
      const starts = batchStarts(file)
      assert.ok(starts.length >= 2)
      const start = starts.at(-2) as number
      flipByte(file, start + 65)
      return { file, position: start }
    })
  })

  it('refuses a damaged length field even though the batch chain is lost after it', async () => {
    await corruptAndOpen((dir, segs) => {
      const file = path.join(dir, segs.at(-1) as string)
      const start = batchStarts(file).at(-2) as number
      flipByte(file, start + BatchOffsets.batchLength + 2)
      return { file, position: start }
    })
  })

  it('refuses a damaged base offset (outside the CRC) by offset order', async () => {
    await corruptAndOpen((dir, segs) => {
      const file = path.join(dir, segs.at(-1) as string)
      const start = batchStarts(file).at(-2) as number
      flipByte(file, start + 7)
      return { file, position: start }
    })
  })
})

describe('indexes and leftovers', () => {
  const config = testConfig({ segmentBytes: 700, indexIntervalBytes: 120 })
  const values = Array.from({ length: 40 }, (_, i) => `record-${i}`)

  it('rebuilds missing, torn and nonsensical index files without losing data', async () => {
    const dir = newDir()
    const log = await openPartitionLog(dir, config, { clock })
    for (const [i, v] of values.entries()) await log.append(batchOf([v], { timestamp: 10_000 + i }))
    await log.close()
    const indexes = segmentFiles(dir, '.index')
    const timeIndexes = segmentFiles(dir, '.timeindex')
    assert.ok(indexes.length >= 3)
    fs.rmSync(path.join(dir, indexes[0] as string))
    fs.appendFileSync(path.join(dir, indexes[1] as string), Buffer.from([1, 2, 3]))
    fs.writeFileSync(path.join(dir, timeIndexes[1] as string), Buffer.alloc(24))
    const bogus = Buffer.alloc(8)
    bogus.writeInt32BE(1, 0)
    bogus.writeInt32BE(5, 4)
    fs.writeFileSync(path.join(dir, indexes[2] as string), bogus)
    const reopened = await openPartitionLog(dir, config, { clock })
    try {
      assert.ok(reopened.recoveryReport.segmentsScanned >= 3)
      assert.deepEqual(readAllRecords(reopened).map(valueOf), values)
      for (let offset = 0; offset < values.length; offset++) {
        const got = readAllRecords(reopened).find((r) => r.offset === offset)
        assert.equal(got === undefined ? undefined : valueOf(got), values[offset])
        assert.deepEqual(reopened.offsetForTimestamp(10_000 + offset), { offset, timestamp: 10_000 + offset })
      }
      for (const name of indexes) assert.ok(fs.existsSync(path.join(dir, name)), `${name} exists again`)
    } finally {
      await reopened.close()
    }
  })

  it('removes leftovers of an interrupted compaction and segments below the checkpointed log start', async () => {
    const dir = newDir()
    const log = await openPartitionLog(dir, { ...config, retentionBytes: 1500 }, { clock })
    for (const v of values) await log.append(batchOf([v]))
    const segsBefore = segmentFiles(dir)
    await log.runMaintenance(clock.now())
    const lso = log.logStartOffset
    assert.ok(lso > 0)
    await log.close({ clean: false })
    // Put back a segment the retention run deleted, as if the crash came before the unlink.
    fs.writeFileSync(path.join(dir, segsBefore[0] as string), Buffer.alloc(0))
    fs.writeFileSync(path.join(dir, `${segmentFiles(dir).at(-1) as string}.cleaned`), Buffer.from('half-written'))
    const reopened = await openPartitionLog(dir, config, { clock })
    try {
      assert.equal(reopened.logStartOffset, lso)
      assert.ok(!fs.existsSync(path.join(dir, segsBefore[0] as string)))
      assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith('.cleaned')).length, 0)
      assert.deepEqual(readAllRecords(reopened).map(valueOf), values.slice(lso))
    } finally {
      await reopened.close()
    }
  })
})

describe('bit rot in trusted segments', () => {
  const values = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot']
  // Small segments so several are sealed; every batch indexed.
  const config = testConfig({ indexIntervalBytes: 0, segmentBytes: 180 })

  async function writeClean(dir: string): Promise<void> {
    const log = await openPartitionLog(dir, config, { clock })
    for (const v of values) await log.append(batchOf([v, `${v}-second`]))
    await log.close()
  }

  it('reports a flipped bit in a sealed segment opened after a clean shutdown on first read, and serves nothing past it', async () => {
    const dir = newDir()
    await writeClean(dir)
    const segs = segmentFiles(dir)
    assert.ok(segs.length >= 3, `expected sealed segments, got ${segs.length}`)
    const file = path.join(dir, segs[1] as string)
    const start = batchStarts(file)[0] as number
    const buf = fs.readFileSync(file)
    buf[start + 70] = (buf[start + 70] as number) ^ 0x10
    fs.writeFileSync(file, buf)

    // A clean shutdown marker means open trusts the segments: the damage shows at read time.
    const log = await openPartitionLog(dir, config, { clock })
    try {
      assert.throws(() => readAllRecords(log), (e) => expectCorrupt(e, file, start))
      // Data before the damaged batch is still served, and the damage is reported again, never skipped.
      const head = decodeBatches(log.read(0, 1).records)
      assert.deepEqual(head.flatMap((b) => b.records.map(valueOf)), ['alpha', 'alpha-second'])
      assert.throws(() => readAllRecords(log), (e) => isTributaryError(e, ErrorCode.CORRUPT_LOG))
    } finally {
      await log.close()
    }
  })

  it('reads an undamaged log that was cleanly shut down in full', async () => {
    const dir = newDir()
    await writeClean(dir)
    const log = await openPartitionLog(dir, config, { clock })
    try {
      const got = readAllRecords(log).map(valueOf)
      assert.deepEqual(got, values.flatMap((v) => [v, `${v}-second`]))
    } finally {
      await log.close()
    }
  })
})
