/**
 * @module The data directory lock: one broker process per data directory. The lock is a file holding
 * the owner's pid, created atomically by hard-linking a fully written temp file (so nobody ever reads a
 * half-written lock). A lock whose pid is no longer alive is stale and is taken over; a live one fails
 * with LOG_LOCKED naming the directory and the holder.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ErrorCode, TributaryError } from '../util/errors.ts'

export const LOCK_FILE = '.lock'

export interface DataDirLock {
  readonly dir: string
  readonly pid: number
  /** Removes the lock file (only if it is still ours). Idempotent. */
  release(): Promise<void>
}

/** Lock files held by this process: the pid test cannot tell two holders in one process apart. */
const held = new Set<string>()

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readPid(file: string): number | undefined {
  try {
    const m = /^(\d+)\n?$/.exec(fs.readFileSync(file, 'latin1'))
    return m === null ? undefined : Number(m[1])
  } catch {
    return undefined
  }
}

function locked(dir: string, pid: number): TributaryError {
  const who = pid === process.pid ? `this process (pid ${pid})` : `process ${pid}`
  return new TributaryError(ErrorCode.LOG_LOCKED, `data directory ${dir} is locked by ${who}; is another broker running on it?`, {
    details: { dir, pid },
  })
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code
}

/** Takes the lock on `dataDir` (created if missing), taking over a lock left by a dead process. */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const dir = path.resolve(dataDir)
  await fs.promises.mkdir(dir, { recursive: true })
  const file = path.join(dir, LOCK_FILE)
  if (held.has(file)) throw locked(dir, process.pid)
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  fs.writeFileSync(tmp, `${process.pid}\n`)
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.linkSync(tmp, file)
        held.add(file)
        removeLeftovers(dir, tmp)
        await syncDir(dir)
        return makeLock(dir, file)
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err
      }
      const holder = readPid(file)
      // Our own pid in a lock we do not hold is a previous incarnation (pids repeat across container restarts).
      if (holder !== undefined && holder !== process.pid && isAlive(holder)) throw locked(dir, holder)
      takeOverStale(file, holder)
    }
    throw new TributaryError(ErrorCode.LOG_LOCKED, `data directory ${dir}: could not take the lock, other processes keep competing for it`)
  } finally {
    fs.rmSync(tmp, { force: true })
  }
}

/** Moves a stale lock aside; if it turns out to be a fresh lock another process just made, puts it back. */
function takeOverStale(file: string, stalePid: number | undefined): void {
  const aside = `${file}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    fs.renameSync(file, aside)
  } catch (err) {
    if (errno(err) === 'ENOENT') return
    throw err
  }
  const moved = readPid(aside)
  if (moved !== stalePid && moved !== undefined && isAlive(moved)) {
    try {
      fs.linkSync(aside, file)
    } catch {
      // Someone else already holds a new lock; the next attempt reports it.
    }
  }
  fs.rmSync(aside, { force: true })
}

/** Temp and set-aside lock files of processes killed mid-acquire (their pid is in the name). */
function removeLeftovers(dir: string, ours: string): void {
  for (const name of fs.readdirSync(dir)) {
    const m = /^\.lock\.(?:stale\.)?(\d+)\./.exec(name)
    const full = path.join(dir, name)
    if (m !== null && full !== ours && (Number(m[1]) === process.pid || !isAlive(Number(m[1])))) fs.rmSync(full, { force: true })
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function makeLock(dir: string, file: string): DataDirLock {
  let released = false
  return {
    dir,
    pid: process.pid,
    release: async () => {
      if (released) return
      released = true
      held.delete(file)
      if (readPid(file) === process.pid) fs.rmSync(file, { force: true })
      await syncDir(dir)
    },
  }
}
