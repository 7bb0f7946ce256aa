/**
 * @module The taxi demo's live summary: what the demo observes (rides produced, the pipeline's
 * metrics and watermark, results read back from zone-revenue, the late-rides topic, the job's
 * consumer lag) and the text printed every second.
 */
import { type ZoneRevenue } from '../../../examples/taxi-revenue.ts'
import { type Collector, type ProcessContext, type ProcessFunction, type RuntimeContext, type Sink } from '../../stream/index.ts'
import { table } from '../output.ts'

/** Results of the last few windows are kept, by window start (ISO). */
const KEEP_WINDOWS = 4

export class DemoStats {
  produced = 0
  /** Latest watermark seen by each task of the pipeline (event time). */
  readonly watermarks: number[] = []
  readonly windows = new Map<string, ZoneRevenue[]>()
  readonly tasks: number

  constructor(tasks: number) {
    this.tasks = tasks
  }

  /** The pipeline's watermark: the minimum over its tasks, once every task reported one. */
  watermark(): number | undefined {
    if (this.watermarks.length < this.tasks || this.watermarks.includes(Number.NEGATIVE_INFINITY)) return undefined
    return Math.min(...this.watermarks)
  }

  addResult(r: ZoneRevenue): void {
    let rows = this.windows.get(r.windowStart)
    if (rows === undefined) {
      this.windows.set(r.windowStart, (rows = []))
      const starts = [...this.windows.keys()].sort()
      for (const old of starts.slice(0, Math.max(0, starts.length - KEEP_WINDOWS))) this.windows.delete(old)
    }
    // An upsert: a later result for the same zone replaces the earlier one.
    const i = rows.findIndex((x) => x.zone === r.zone)
    if (i >= 0) rows[i] = r
    else rows.push(r)
  }

  /** The latest window the watermark has passed, with its results. */
  lastClosed(): { start: string; end: string; rows: ZoneRevenue[] } | undefined {
    const wm = this.watermark()
    if (wm === undefined) return undefined
    let best: { start: string; end: string; rows: ZoneRevenue[] } | undefined
    for (const [start, rows] of this.windows) {
      const end = (rows[0] as ZoneRevenue).windowEnd
      if (Date.parse(end) - 1 <= wm && (best === undefined || start > best.start)) best = { start, end, rows }
    }
    return best
  }
}

/** Records each task's current watermark; emits nothing. Plain fields: each task gets Object.create(probe). */
export class WatermarkProbe<T> implements ProcessFunction<T, never> {
  readonly stats: DemoStats
  task = 0

  constructor(stats: DemoStats) {
    this.stats = stats
  }

  open(ctx: RuntimeContext): void {
    this.task = ctx.taskIndex
  }

  processElement(_value: T, ctx: ProcessContext, _out: Collector<never>): void {
    this.stats.watermarks[this.task] = ctx.currentWatermark()
  }
}

/** Ends a stream that exists only for its side effects. */
export function discardSink<T>(): Sink<T> {
  return { name: 'discard', createWriter: () => ({ write: () => undefined }) }
}

export interface SummaryLine {
  elapsedMs: number
  speed: number
  producedPerSec: number
  processed: number
  processedPerSec: number
  lag: number
  late: number
}

const money = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
const hhmm = (iso: string): string => iso.slice(11, 16)

export function renderSummary(stats: DemoStats, s: SummaryLine): string {
  const wm = stats.watermark()
  let text = `Tributary demo: taxi-rides (${stats.tasks} partitions) -> taxi-revenue pipeline -> zone-revenue  t=${Math.round(s.elapsedMs / 1000)}s\n`
  text += `produced ${stats.produced} rides (${s.producedPerSec}/s)  processed ${s.processed} (${s.processedPerSec}/s)  consumer lag ${s.lag}\n`
  text += `watermark ${wm === undefined ? '-' : new Date(wm).toISOString().slice(0, 19)} (event time runs ${s.speed}x)  late rides on late-rides: ${s.late}\n`
  const closed = stats.lastClosed()
  if (closed === undefined) return `${text}\nno window closed yet\n\n`
  const rides = closed.rows.reduce((n, r) => n + r.rides, 0)
  const revenue = closed.rows.reduce((n, r) => n + r.revenue, 0)
  const top = [...closed.rows].sort((a, b) => b.revenue - a.revenue).slice(0, 5)
  text += `\nlast closed window ${closed.start.slice(0, 10)} ${hhmm(closed.start)}-${hhmm(closed.end)}: ${rides} rides in ${closed.rows.length} zones, $${money(revenue)}\n`
  // Right-aligned by hand: table() aligns numbers only, and these are formatted strings.
  const width = Math.max(0, ...top.map((r) => money(r.revenue).length))
  return `${text}${table(['ZONE', 'RIDES', 'REVENUE'.padStart(width)], top.map((r) => [r.zone, r.rides, money(r.revenue).padStart(width)]))}\n`
}
