/**
 * @module Example: "how many views did this user make in the last 5 minutes?", answered at every
 * view (a sliding window per event, Flink SQL's OVER RANGE: EventSlidingWindows). Unlike hopping
 * windows, the window ends exactly at each event, so a burst is seen the moment it happens (e.g.
 * to flag scrapers), not at the next slide boundary.
 *
 * page-views (keyed by user) → keyBy user → EventSlidingWindows.of(5 min) → views and distinct
 * pages in [t - 5 min, t] → recent-activity. A result is emitted once the watermark reaches t, so
 * out-of-order views inside the range still count. Views at the same millisecond share a result.
 *
 * Run: node examples/last-five-minutes.ts
 */
import { type Client } from '../src/client/types.ts'
import { table } from '../src/cli/output.ts'
import { count, countDistinct, multi } from '../src/stream/api/aggregates/index.ts'
import { type ChangeKind, type DataStream, EventSlidingWindows, StreamEnvironment, jsonFormat } from '../src/stream/index.ts'
import { createTopics, produceJson, readJson, withTempBroker } from './support/embedded.ts'
import { type PageView, generatePageViews } from './support/page-views.ts'
import { type WatermarkMode, boundedOutOfOrderness } from './support/watermarks.ts'
import { PAGE_VIEWS_TOPIC } from './user-sessions.ts'

export const ACTIVITY_TOPIC = 'recent-activity'
export const RANGE_MS = 5 * 60_000

export interface RecentActivity {
  kind: ChangeKind
  user: string
  /** Time of the view(s) the result is for, ISO. */
  at: string
  /** The user's views in [at - 5 min, at]. */
  views: number
  distinctPages: number
}

export interface LastFiveMinutesOptions {
  input?: string
  output?: string
  rangeMs?: number
  /** Watermark bound (default 10 s). */
  outOfOrdernessMs?: number
  watermarks?: WatermarkMode
  bounded?: boolean
}

export function buildLastFiveMinutes(env: StreamEnvironment, options: LastFiveMinutesOptions = {}): DataStream<RecentActivity> {
  const activity = env
    .fromTopic(options.input ?? PAGE_VIEWS_TOPIC, {
      format: jsonFormat<PageView>(),
      bounded: options.bounded ?? false,
      watermarks: boundedOutOfOrderness<PageView>(options.outOfOrdernessMs ?? 10_000, (v) => v.ts, options.watermarks),
    })
    .keyBy((v) => v.user, { name: 'by-user' })
    .window(EventSlidingWindows.of<PageView>(options.rangeMs ?? RANGE_MS))
    .aggregate(multi({ views: count<PageView>(), distinctPages: countDistinct((v: PageView) => v.page) }))
    .map(
      (w): RecentActivity => ({
        kind: w.kind,
        user: w.key,
        // The window of the views at t is [t - range, t + 1).
        at: new Date(w.window.end - 1).toISOString(),
        views: w.value.views,
        distinctPages: w.value.distinctPages,
      }),
    )
    .name('to-activity')
  activity.toTopic(options.output ?? ACTIVITY_TOPIC, { format: jsonFormat<RecentActivity>(), keyFn: (a) => a.user })
  return activity
}

/** Creates the topics, writes `views` keyed by user, runs the pipeline as a bounded job; returns its results. */
export async function runLastFiveMinutes(client: Client, views: readonly PageView[], options: LastFiveMinutesOptions = {}): Promise<RecentActivity[]> {
  await createTopics(client, [
    { name: options.input ?? PAGE_VIEWS_TOPIC, partitions: 3 },
    { name: options.output ?? ACTIVITY_TOPIC, partitions: 1 },
  ])
  await produceJson(client, options.input ?? PAGE_VIEWS_TOPIC, views, (v) => v.user)
  const env = StreamEnvironment.create({ client })
  buildLastFiveMinutes(env, { ...options, bounded: true })
  await env.execute('last-five-minutes').done
  return readJson<RecentActivity>(client, options.output ?? ACTIVITY_TOPIC)
}

async function main(): Promise<void> {
  const views = generatePageViews({ seed: 4, views: 2000, users: 20, outOfOrderFraction: 0.2, maxOutOfOrderMs: 10_000 })
  const activity = await withTempBroker((client) => runLastFiveMinutes(client, views))
  const busiest = [...activity].sort((a, b) => b.views - a.views || a.at.localeCompare(b.at)).slice(0, 8)
  console.log('Busiest moments: most views by one user within 5 minutes')
  process.stdout.write(table(['USER', 'AT', 'VIEWS-5MIN', 'PAGES'], busiest.map((a) => [a.user, a.at.slice(0, 19), a.views, a.distinctPages])))
  console.log(`\n${views.length} views, ${activity.length} results on ${ACTIVITY_TOPIC} (one per user and view time)`)
}

if (import.meta.main) await main()
