/**
 * @module The broker's durable metadata: every topic's name, id, partition count and config
 * overrides, in one JSON file replaced atomically (write a temp file, fsync it, rename over the old
 * one, fsync the directory), so a crash leaves either the old or the new version, never a mix.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { ErrorCode, TributaryError } from '../util/errors.ts'

export const METADATA_FILE = 'topics.json'
const METADATA_VERSION = 1

export interface TopicRecord {
  name: string
  /** Random id: tells apart a topic from an earlier one of the same name. */
  id: string
  partitions: number
  /** Validated config overrides (Kafka-style keys). */
  configs: Record<string, string>
}

export interface BrokerMetadata {
  topics: TopicRecord[]
}

function storage(message: string, cause?: unknown): TributaryError {
  return new TributaryError(ErrorCode.STORAGE_ERROR, message, cause === undefined ? {} : { cause })
}

function isTopicRecord(v: unknown): v is TopicRecord {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  if (typeof r.name !== 'string' || typeof r.id !== 'string' || !Number.isInteger(r.partitions) || (r.partitions as number) < 1) return false
  if (typeof r.configs !== 'object' || r.configs === null || Array.isArray(r.configs)) return false
  return Object.values(r.configs).every((c) => typeof c === 'string')
}

/** Reads the metadata of `dir`; undefined when there is none yet. A damaged file throws STORAGE_ERROR. */
export async function readMetadata(dir: string): Promise<BrokerMetadata | undefined> {
  const file = path.join(dir, METADATA_FILE)
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw storage(`cannot read ${file}: ${(e as Error).message}`, e)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    throw storage(`${file} is not valid JSON; refusing to start rather than lose topics`, e)
  }
  const doc = parsed as { version?: unknown; topics?: unknown }
  if (doc.version !== METADATA_VERSION || !Array.isArray(doc.topics) || !doc.topics.every(isTopicRecord)) {
    throw storage(`${file} has an unknown version or shape; refusing to start rather than lose topics`)
  }
  return { topics: doc.topics }
}

/** Replaces the metadata of `dir` durably. */
export async function writeMetadata(dir: string, metadata: BrokerMetadata): Promise<void> {
  const data = JSON.stringify({ version: METADATA_VERSION, topics: metadata.topics }, null, 1)
  await writeFileAtomically(dir, METADATA_FILE, data)
}

/** Writes `name` in `dir` via a temp file, fsync, rename and directory fsync. */
export async function writeFileAtomically(dir: string, name: string, data: string): Promise<void> {
  const target = path.join(dir, name)
  const tmp = `${target}.tmp`
  try {
    const handle = await fs.open(tmp, 'w')
    try {
      await handle.writeFile(data, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(tmp, target)
    await syncDir(dir)
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined)
    throw storage(`cannot write ${target}: ${(e as Error).message}`, e)
  }
}

/** Makes a directory's entries (creates, renames, deletes) durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
