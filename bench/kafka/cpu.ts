/**
 * @module CPU time from /proc (Linux): a process's own user+system time (the broker child), and the
 * time of this process's finished children (kcat runs), in seconds.
 */
import { readFileSync, readdirSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 on Linux). */
const TICKS = 100

/** Fields after the command name in /proc/<pid>/stat (the name may hold spaces and parentheses). */
function statFields(pid: number | 'self'): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return text.slice(text.lastIndexOf(')') + 2).split(' ')
}

/** utime + stime of a live process. Fields 14 and 15 of stat; index 11 and 12 after the name. */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid)
  return (Number(f[11]) + Number(f[12])) / TICKS
}

/** cutime + cstime: CPU of this process's children that have exited (and been waited for). */
export function finishedChildrenCpuSeconds(): number {
  const f = statFields('self')
  return (Number(f[13]) + Number(f[14])) / TICKS
}

/** This process's own CPU (user + system). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** The pid of a running program by name (for peer servers), or undefined. */
export function pidOf(name: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) return Number(entry)
    } catch {
      // the process ended while we looked
    }
  }
  return undefined
}
