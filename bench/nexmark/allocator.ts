/**
 * @module glibc malloc settings for the benchmark process. With worker threads, the buffer a fetch
 * reads on the main thread is freed in a worker (its records are decoded there), and a worker's
 * encoded batches are freed on the main thread. With glibc's defaults, buffers of this size (~1 MiB)
 * are mapped fresh or trimmed back to the kernel again and again, so each read pays its page faults
 * anew (strace: ~2 ms per 1 MiB pread). A higher mmap threshold and trim threshold keep freed memory
 * in malloc's arenas for reuse, as a long-running server would be tuned. glibc reads these variables
 * at process start, so run.ts starts itself again with them (the parent only waits).
 */
import { spawnSync } from 'node:child_process'

export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(8 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(512 * 1024 * 1024),
}

export function mallocTuned(): boolean {
  return Object.entries(MALLOC_ENV).every(([k, v]) => process.env[k] === v)
}

/** Runs this script again with MALLOC_ENV (on Linux, where glibc reads it); the exit code, or undefined when not rerun. */
export function rerunWithMallocEnv(): number | undefined {
  if (process.platform !== 'linux' || mallocTuned()) return undefined
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, ...MALLOC_ENV } })
  return r.status ?? 1
}
