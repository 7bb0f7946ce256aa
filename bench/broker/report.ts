/** @module Result rows and formatting shared by the broker benchmarks. */
import os from 'node:os'

export interface BenchResult {
  system: string
  phase: 'produce' | 'consume'
  records: number
  bytes: number
  seconds: number
  durability: string
}

export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e9
}

export function machineLine(): string {
  const cpus = os.cpus()
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`
}

export function toMarkdown(rows: readonly BenchResult[]): string {
  const lines = [
    '| system | phase | records | records/s | MB/s | durability |',
    '|---|---|---:|---:|---:|---|',
  ]
  for (const r of rows) {
    const rate = r.records / r.seconds
    const mb = r.bytes / r.seconds / 1e6
    lines.push(`| ${r.system} | ${r.phase} | ${r.records.toLocaleString('en-US')} | ${Math.round(rate).toLocaleString('en-US')} | ${mb.toFixed(1)} | ${r.durability} |`)
  }
  return lines.join('\n')
}
