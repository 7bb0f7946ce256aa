/**
 * @module Wall time and process CPU time of one step. CPU time covers every thread of the process
 * (the event loop, libuv's file-system threads, V8's GC helpers), so cores used = CPU / wall and
 * events per core = events / CPU seconds.
 */

export interface Measured {
  events: number
  seconds: number
  cpuSeconds: number
}

export async function measure(events: number, fn: () => Promise<void>): Promise<Measured> {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  await fn()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  return { events, seconds, cpuSeconds: (used.user + used.system) / 1e6 }
}

export function perSecond(m: Measured): number {
  return m.events / m.seconds
}

export function coresUsed(m: Measured): number {
  return m.cpuSeconds / m.seconds
}

export function perCore(m: Measured): number {
  return m.cpuSeconds > 0 ? m.events / m.cpuSeconds : Number.NaN
}
