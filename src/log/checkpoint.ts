/**
 * @module The partition's checkpoint file: the log start offset (moved by retention, must survive a
 * restart) and the recovery point (segments wholly below it were fsynced with their indexes, so an
 * unclean restart need not re-validate them). Written atomically; a torn or unreadable checkpoint
 * reads as absent, which only makes recovery scan more.
 */
import fs from 'node:fs'
import path from 'node:path'
import { crc32c } from '../util/crc32c.ts'
import { type FsyncHooks, writeFileDurably } from './durable-io.ts'

export const CHECKPOINT_FILE = 'log.checkpoint'
/** Present only between a clean close and the next open. */
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown'

export interface LogCheckpoint {
  logStartOffset: number
  recoveryPoint: number
}

function body(cp: LogCheckpoint): string {
  return `tributary-log-checkpoint 1 ${cp.logStartOffset} ${cp.recoveryPoint}`
}

export function readLogCheckpoint(dir: string): LogCheckpoint | undefined {
  let text: string
  try {
    text = fs.readFileSync(path.join(dir, CHECKPOINT_FILE), 'latin1')
  } catch {
    return undefined
  }
  const m = /^(tributary-log-checkpoint 1 (\d+) (\d+)) ([0-9a-f]{8})\n$/.exec(text)
  if (m === null) return undefined
  const [, content, lso, rp, crc] = m as unknown as [string, string, string, string, string]
  if (crc32c(Buffer.from(content, 'latin1')).toString(16).padStart(8, '0') !== crc) return undefined
  return { logStartOffset: Number(lso), recoveryPoint: Number(rp) }
}

export async function writeLogCheckpoint(dir: string, cp: LogCheckpoint, hooks: FsyncHooks): Promise<void> {
  const content = body(cp)
  const crc = crc32c(Buffer.from(content, 'latin1')).toString(16).padStart(8, '0')
  await writeFileDurably(dir, CHECKPOINT_FILE, Buffer.from(`${content} ${crc}\n`, 'latin1'), hooks)
}
