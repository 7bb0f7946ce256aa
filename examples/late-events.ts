/**
 * @module Example: late data. Views per page per minute, where some views arrive late:
 *
 * - within the watermark bound (5 s): counted as if on time;
 * - behind the watermark but within the allowed lateness (1 minute after the window end): the
 *   window fires again and its result is updated, so page-counts is an update stream ('insert'
 *   first, then 'update'; upsert by the key page@windowStart);
 * - later than that: routed to the side topic late-events (sideOutputLateData), not dropped.
 *
 * clicks (page views keyed by page) → keyBy page (prePartitioned: the topic is keyed by page) →
 * tumbling 1-minute event-time windows, allowedLateness 1 minute → count → page-counts.
 *
 * Run: node examples/late-events.ts
 */
import { type Client } from '../src/client/types.ts'
import { table } from '../src/cli/output.ts'
import { count } from '../src/stream/api/aggregates/index.ts'
import { type ChangeKind, type DataStream, OutputTag, StreamEnvironment, TumblingEventTimeWindows, jsonFormat } from '../src/stream/index.ts'
import { createTopics, produceJson, readJson, withTempBroker } from './support/embedded.ts'
import { type PageView, generatePageViews } from './support/page-views.ts'
import { type WatermarkMode, boundedOutOfOrderness } from './support/watermarks.ts'

export const CLICKS_TOPIC = 'clicks'
export const PAGE_COUNTS_TOPIC = 'page-counts'
export const LATE_EVENTS_TOPIC = 'late-events'
export const MINUTE_MS = 60_000

export interface PageCount {
  kind: ChangeKind
  page: string
  windowStart: string
  windowEnd: string
  views: number
}

export interface LateEventsOptions {
  input?: string
  output?: string
  lateOutput?: string
  windowMs?: number
  /** Default 1 minute. */
  allowedLatenessMs?: number
  /** Watermark bound (default 5 s). */
  outOfOrdernessMs?: number
  watermarks?: WatermarkMode
  bounded?: boolean
}

export interface LateEventsPipeline {
  counts: DataStream<PageCount>
  late: DataStream<PageView>
}

export function pageCountKey(c: Pick<PageCount, 'page' | 'windowStart'>): string {
  return `${c.page}@${c.windowStart}`
}

export function buildLateEvents(env: StreamEnvironment, options: LateEventsOptions = {}): LateEventsPipeline {
  const lateTag = new OutputTag<PageView>('late-events')
  const windows = env
    .fromTopic(options.input ?? CLICKS_TOPIC, {
      format: jsonFormat<PageView>(),
      bounded: options.bounded ?? false,
      watermarks: boundedOutOfOrderness<PageView>(options.outOfOrdernessMs ?? 5_000, (v) => v.ts, options.watermarks),
    })
    .keyBy((v) => v.page, { prePartitioned: true, name: 'by-page' })
    .window(TumblingEventTimeWindows.of<PageView>(options.windowMs ?? MINUTE_MS))
    .allowedLateness(options.allowedLatenessMs ?? MINUTE_MS)
    .sideOutputLateData(lateTag)
    .aggregate(count<PageView>())
    .name('page-minute')
  const counts = windows
    .map(
      (w): PageCount => ({
        kind: w.kind,
        page: w.key,
        windowStart: new Date(w.window.start).toISOString(),
        windowEnd: new Date(w.window.end).toISOString(),
        views: w.value,
      }),
    )
    .name('to-count')
  counts.toTopic(options.output ?? PAGE_COUNTS_TOPIC, { format: jsonFormat<PageCount>(), keyFn: pageCountKey })
  const late = windows.getSideOutput(lateTag)
  late.toTopic(options.lateOutput ?? LATE_EVENTS_TOPIC, { format: jsonFormat<PageView>(), keyFn: (v) => v.page })
  return { counts, late }
}

export interface LateEventsRun {
  /** page-counts in offset order: every insert and update. */
  counts: PageCount[]
  late: PageView[]
}

/** Creates the topics, writes `views` keyed by page, runs the pipeline as a bounded job and reads both topics back. */
export async function runLateEvents(client: Client, views: readonly PageView[], options: LateEventsOptions = {}): Promise<LateEventsRun> {
  await createTopics(client, [
    { name: options.input ?? CLICKS_TOPIC, partitions: 3 },
    { name: options.output ?? PAGE_COUNTS_TOPIC, partitions: 1 },
    { name: options.lateOutput ?? LATE_EVENTS_TOPIC, partitions: 1 },
  ])
  await produceJson(client, options.input ?? CLICKS_TOPIC, views, (v) => v.page)
  const env = StreamEnvironment.create({ client })
  buildLateEvents(env, { ...options, bounded: true })
  await env.execute('late-events').done
  return { counts: await readJson<PageCount>(client, options.output ?? PAGE_COUNTS_TOPIC), late: await readJson<PageView>(client, options.lateOutput ?? LATE_EVENTS_TOPIC) }
}

async function main(): Promise<void> {
  const views = generatePageViews({ seed: 2, views: 3000, users: 30, outOfOrderFraction: 0.2, maxOutOfOrderMs: 5_000, lateFraction: 0.04, minLatenessMs: 10_000, maxLatenessMs: 240_000 })
  const run = await withTempBroker((client) => runLateEvents(client, views, { watermarks: 'per-event' }))
  const updates = run.counts.filter((c) => c.kind === 'update')
  const hhmm = (iso: string): string => iso.slice(11, 16)
  console.log('Windows updated by late views within the allowed lateness (first few):')
  const shown = updates.slice(0, 6).map((u) => {
    const first = run.counts.find((c) => c.kind === 'insert' && c.page === u.page && c.windowStart === u.windowStart)
    return [u.page, `${hhmm(u.windowStart)}-${hhmm(u.windowEnd)}`, first?.views ?? '-', u.views]
  })
  process.stdout.write(table(['PAGE', 'WINDOW', 'FIRST', 'UPDATED'], shown))
  console.log('\nViews too late for their window, on the late-events topic (first few):')
  process.stdout.write(table(['VIEW', 'PAGE', 'EVENT-TIME'], run.late.slice(0, 6).map((v) => [v.viewId, v.page, new Date(v.ts).toISOString().slice(11, 19)])))
  const inserts = run.counts.length - updates.length
  console.log(`\n${views.length} views: ${inserts} window results, ${updates.length} updates, ${run.late.length} late views on ${LATE_EVENTS_TOPIC}`)
}

if (import.meta.main) await main()
