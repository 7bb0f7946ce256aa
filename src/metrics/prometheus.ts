/**
 * @module Prometheus text exposition format (version 0.0.4) of a registry snapshot. Histograms are
 * exported as summaries (quantiles + _sum + _count) with a companion `_max` gauge: the log-linear
 * buckets are too many to expose as cumulative `le` buckets.
 */
import { type MetricSnapshot, type MetricsRegistry } from './registry.ts'

const QUANTILES: readonly (readonly [string, 'p50' | 'p95' | 'p99' | 'p999'])[] = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
  ['0.999', 'p999'],
]

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

function formatLabels(labels: Record<string, string>, extra?: readonly [string, string]): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}="${escapeLabelValue(v)}"`)
  if (extra !== undefined) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

function header(lines: string[], name: string, help: string, type: string): void {
  lines.push(`# HELP ${name} ${escapeHelp(help)}`)
  lines.push(`# TYPE ${name} ${type}`)
}

/** Renders snapshots (from `registry.snapshot()`) as Prometheus text. */
export function formatPrometheus(snapshots: readonly MetricSnapshot[]): string {
  const lines: string[] = []
  for (const family of snapshots) {
    if (family.type !== 'histogram') {
      header(lines, family.name, family.help, family.type)
      for (const s of family.samples) lines.push(`${family.name}${formatLabels(s.labels)} ${formatValue(s.value)}`)
      continue
    }
    header(lines, family.name, family.help, 'summary')
    for (const s of family.samples) {
      const h = s.histogram
      if (h === undefined) continue
      for (const [q, field] of QUANTILES) lines.push(`${family.name}${formatLabels(s.labels, ['quantile', q])} ${formatValue(h[field])}`)
      lines.push(`${family.name}_sum${formatLabels(s.labels)} ${formatValue(h.sum)}`)
      lines.push(`${family.name}_count${formatLabels(s.labels)} ${formatValue(h.count)}`)
    }
    header(lines, `${family.name}_max`, `Largest value recorded: ${family.help}`, 'gauge')
    for (const s of family.samples) {
      if (s.histogram !== undefined) lines.push(`${family.name}_max${formatLabels(s.labels)} ${formatValue(s.histogram.max)}`)
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/** The registry's current state as Prometheus text. */
export function toPrometheusText(registry: MetricsRegistry): string {
  return formatPrometheus(registry.snapshot())
}
