/**
 * @module Producer-state snapshots: written into each partition directory when the broker closes
 * cleanly (every byte is on disk then), so the next start reads the batch headers after the
 * snapshot's offset instead of the whole partition. A snapshot past the log's end (the log lost
 * data since) or one that does not parse is ignored and the partition is scanned in full.
 */
import fs from 'node:fs'
import path from 'node:path'
import { writeFileAtomically } from '../metadata-store.ts'
import { type CachedBatch, PartitionProducerState } from './partition-state.ts'

export const SNAPSHOT_FILE = 'producer-state.json'
const VERSION = 1

interface SnapshotDoc {
  v: number
  /** The log end when written: the state covers every batch below it. */
  offset: number
  producers: [number, number, number, CachedBatch[]][]
  ongoing: [number, number][]
  completing: { firstOffset: number; markerOffset: number }[]
  aborted: { producerId: number; firstOffset: number; lastOffset: number }[]
}

export async function writeSnapshot(dir: string, state: PartitionProducerState, offset: number): Promise<void> {
  const doc: SnapshotDoc = {
    v: VERSION,
    offset,
    producers: [...state.producers].map(([pid, e]) => [pid, e.epoch, e.lastSeq, e.batches]),
    ongoing: [...state.ongoing],
    completing: state.completing,
    aborted: state.aborted,
  }
  await writeFileAtomically(dir, SNAPSHOT_FILE, JSON.stringify(doc))
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v)

/** The state and the offset it covers up to, or undefined when there is no usable snapshot. */
export function readSnapshot(dir: string, logEndOffset: number, now: number): { state: PartitionProducerState; offset: number } | undefined {
  let doc: SnapshotDoc
  try {
    doc = JSON.parse(fs.readFileSync(path.join(dir, SNAPSHOT_FILE), 'utf8')) as SnapshotDoc
  } catch {
    return undefined
  }
  if (doc?.v !== VERSION || !isInt(doc.offset) || doc.offset < 0 || doc.offset > logEndOffset) return undefined
  try {
    const state = new PartitionProducerState()
    for (const [pid, epoch, lastSeq, batches] of doc.producers) {
      if (!isInt(pid) || !isInt(epoch) || !isInt(lastSeq) || !Array.isArray(batches)) return undefined
      if (!batches.every((b) => isInt(b.firstSeq) && isInt(b.lastSeq) && isInt(b.firstOffset) && isInt(b.lastOffset))) return undefined
      state.producers.set(pid, { epoch, lastSeq, lastSeen: now, batches })
    }
    for (const [pid, first] of doc.ongoing) {
      if (!isInt(pid) || !isInt(first)) return undefined
      state.ongoing.set(pid, first)
    }
    if (!doc.completing.every((c) => isInt(c.firstOffset) && isInt(c.markerOffset))) return undefined
    if (!doc.aborted.every((a) => isInt(a.producerId) && isInt(a.firstOffset) && isInt(a.lastOffset))) return undefined
    state.completing = doc.completing
    state.aborted = doc.aborted
    return { state, offset: doc.offset }
  } catch {
    return undefined // a malformed snapshot only costs a full scan
  }
}
