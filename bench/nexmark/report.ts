/** @module The Markdown table and the latency line of the Nexmark benchmark. */
import os from 'node:os'
import { type LatencyResult } from './latency.ts'
import { type Measured, coresUsed, perCore, perSecond } from './measure.ts'

export interface Row extends Measured {
  name: string
  notes: string
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–')

export function machineLine(): string {
  const cpus = os.cpus()
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`
}

export function toMarkdown(rows: readonly Row[]): string {
  const lines = ['| query | events | seconds | events/s | events/s per core | cores used | notes |', '|---|---:|---:|---:|---:|---:|---|']
  for (const r of rows) {
    lines.push(`| ${r.name} | ${int(r.events)} | ${r.seconds.toFixed(2)} | ${int(perSecond(r))} | ${int(perCore(r))} | ${coresUsed(r).toFixed(2)} | ${r.notes} |`)
  }
  return lines.join('\n')
}

export function latencyLine(r: LatencyResult, rate: number): string {
  return (
    `q0 latency at ${int(rate)} events/s (output time − produce time, ${int(r.samples)} outputs after warm-up): ` +
    `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; ${coresUsed(r).toFixed(2)} cores used`
  )
}
