/**
 * @module File primitives of the log. Every fsync goes through `FsyncHooks`, so tests can count group
 * commits or make the disk fail; the defaults run fdatasync / directory fsync on the libuv threadpool.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { type ReadBuffers } from './types.ts'

export interface FsyncHooks {
  /** Forces a file's data (and the size needed to read it back) to disk, off the event loop. */
  syncData(fd: number): Promise<void>
  /** The same, blocking: used only where the order of writes must hold on disk (segment roll). */
  syncDataSync(fd: number): void
  /** Forces changes of a directory's entries (create, rename, unlink) to disk. */
  syncDir(dir: string): Promise<void>
}

export const defaultFsyncHooks: FsyncHooks = {
  syncData: (fd) =>
    new Promise((resolve, reject) => {
      fs.fdatasync(fd, (err) => (err === null ? resolve() : reject(err)))
    }),
  syncDataSync: (fd) => fs.fdatasyncSync(fd),
  syncDir: async (dir) => {
    const handle = await fs.promises.open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  },
}

export function storageError(what: string, cause: unknown): TributaryError {
  const detail = cause instanceof Error ? cause.message : String(cause)
  return new TributaryError(ErrorCode.STORAGE_ERROR, `${what}: ${detail}`, { cause })
}

/** Writes all of `buf` at `position` (a short write is continued, never left half done). */
export function writeFully(fd: number, buf: Uint8Array, position: number): void {
  let done = 0
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done)
}

/** Reads up to `length` bytes at `position` into buf[offset..]; returns the bytes read (short at EOF). */
export function readFully(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done
}

/** A buffer (fresh, or from `buffers`) with `length` bytes of the file at `position` (shorter if the file ends first). */
export function readAt(fd: number, position: number, length: number, buffers?: ReadBuffers): Buffer {
  const buf = buffers === undefined ? Buffer.allocUnsafe(length) : buffers.take(length)
  const n = readFully(fd, buf, 0, length, position)
  return n === length ? buf : buf.subarray(0, n)
}

/** Replaces `dir/name` atomically and durably: temp file, fsync, rename, fsync of the directory. */
export async function writeFileDurably(dir: string, name: string, data: Uint8Array, hooks: FsyncHooks): Promise<void> {
  const target = path.join(dir, name)
  const tmp = `${target}.tmp`
  const fd = fs.openSync(tmp, 'w')
  try {
    writeFully(fd, data, 0)
    await hooks.syncData(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, target)
  await hooks.syncDir(dir)
}

/** Unlinks a file, ignoring that it is already gone. */
export function unlinkIfExists(file: string): void {
  try {
    fs.unlinkSync(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/**
 * Writes entries [from, count) of a fixed-size-entry index file (each encoded by `encode` at its
 * place in the buffer) and trims the file to exactly `count` entries. Indexes append in memory and
 * persist only their new tail; a truncated tail shrinks the file.
 */
export function persistIndexTail(fd: number, from: number, count: number, entryBytes: number, encode: (buf: Buffer, at: number, i: number) => void): void {
  if (from < count) {
    const buf = Buffer.allocUnsafe((count - from) * entryBytes)
    for (let i = from; i < count; i++) encode(buf, (i - from) * entryBytes, i)
    writeFully(fd, buf, from * entryBytes)
  }
  fs.ftruncateSync(fd, count * entryBytes)
}
