/**
 * @module Example: user sessions. A session is a user's run of page views with no pause longer than
 * 30 minutes (event-time session windows); per session: user, first and last view, number of
 * views and the pages in the order visited.
 *
 * page-views (keyed by user) → keyBy user (through a repartition topic) → session windows, gap 30
 * minutes → count + pages → user-sessions. Sessions are an update stream: when a view bridges two
 * sessions that already fired, they merge, the old ones are retracted ('delete', written as
 * tombstones) and the merged one is inserted; the topic's key is user@start/end, so reading it as
 * a table (last value per key) gives the current sessions.
 *
 * Run: node examples/user-sessions.ts
 */
import { type Client } from '../src/client/types.ts'
import { table } from '../src/cli/output.ts'
import { collect, count, multi } from '../src/stream/api/aggregates/index.ts'
import { type ChangeKind, type DataStream, EventTimeSessionWindows, StreamEnvironment, jsonFormat } from '../src/stream/index.ts'
import { createTopics, produceJson, readTable, withTempBroker } from './support/embedded.ts'
import { type PageView, generatePageViews } from './support/page-views.ts'
import { type WatermarkMode, boundedOutOfOrderness } from './support/watermarks.ts'

export const PAGE_VIEWS_TOPIC = 'page-views'
export const SESSIONS_TOPIC = 'user-sessions'
export const SESSION_GAP_MS = 30 * 60_000

export interface UserSession {
  kind: ChangeKind
  user: string
  /** First view, ISO. */
  start: string
  /** Last view, ISO; the session window ends one gap later. */
  end: string
  views: number
  /** Pages in event-time order. */
  pages: string[]
}

export interface UserSessionsOptions {
  input?: string
  output?: string
  gapMs?: number
  /** Watermark bound (default 10 s). */
  outOfOrdernessMs?: number
  watermarks?: WatermarkMode
  bounded?: boolean
}

export function sessionKey(s: Pick<UserSession, 'user' | 'start' | 'end'>): string {
  return `${s.user}@${s.start}/${s.end}`
}

export function buildUserSessions(env: StreamEnvironment, options: UserSessionsOptions = {}): DataStream<UserSession> {
  const gap = options.gapMs ?? SESSION_GAP_MS
  const sessions = env
    .fromTopic(options.input ?? PAGE_VIEWS_TOPIC, {
      format: jsonFormat<PageView>(),
      bounded: options.bounded ?? false,
      watermarks: boundedOutOfOrderness<PageView>(options.outOfOrdernessMs ?? 10_000, (v) => v.ts, options.watermarks),
    })
    .keyBy((v) => v.user, { name: 'by-user' })
    .window(EventTimeSessionWindows.withGap<PageView>(gap))
    .aggregate(multi({ views: count<PageView>(), pages: collect((v: PageView): [number, string] => [v.ts, v.page]) }))
    .map(
      (w): UserSession => ({
        kind: w.kind,
        user: w.key,
        start: new Date(w.window.start).toISOString(),
        end: new Date(w.window.end - gap).toISOString(),
        views: w.value.views,
        // Arrival order is not event-time order: sort by time (then page, for equal times).
        pages: w.value.pages.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])).map((p) => p[1]),
      }),
    )
    .name('to-session')
  sessions.toTopic(options.output ?? SESSIONS_TOPIC, { format: jsonFormat<UserSession>(), keyFn: sessionKey, tombstone: (s) => s.kind === 'delete' })
  return sessions
}

/** Creates the topics, writes `views` keyed by user, runs the pipeline as a bounded job; returns the sessions table. */
export async function runUserSessions(client: Client, views: readonly PageView[], options: UserSessionsOptions = {}): Promise<Map<string, UserSession>> {
  await createTopics(client, [
    { name: options.input ?? PAGE_VIEWS_TOPIC, partitions: 3 },
    { name: options.output ?? SESSIONS_TOPIC, partitions: 1 },
  ])
  await produceJson(client, options.input ?? PAGE_VIEWS_TOPIC, views, (v) => v.user)
  const env = StreamEnvironment.create({ client })
  buildUserSessions(env, { ...options, bounded: true })
  await env.execute('user-sessions').done
  return readTable<UserSession>(client, options.output ?? SESSIONS_TOPIC)
}

async function main(): Promise<void> {
  const views = generatePageViews({ seed: 3, views: 3000, users: 25, outOfOrderFraction: 0.2, maxOutOfOrderMs: 10_000 })
  const sessions = [...(await withTempBroker((client) => runUserSessions(client, views))).values()]
  const shown = sessions.filter((s) => s.user === 'user-0' || s.user === 'user-1').sort((a, b) => a.user.localeCompare(b.user) || a.start.localeCompare(b.start))
  const hhmm = (iso: string): string => iso.slice(5, 16).replace('T', ' ')
  process.stdout.write(table(['USER', 'START', 'END', 'VIEWS', 'PAGES'], shown.map((s) => [s.user, hhmm(s.start), hhmm(s.end), s.views, abbreviate(s.pages)])))
  const total = sessions.reduce((n, s) => n + s.views, 0)
  console.log(`\n${views.length} views by 25 users: ${sessions.length} sessions, ${(total / sessions.length).toFixed(1)} views per session on average`)
}

function abbreviate(pages: readonly string[]): string {
  return pages.length <= 6 ? pages.join(' ') : `${pages.slice(0, 5).join(' ')} ... (${pages.length - 5} more)`
}

if (import.meta.main) await main()
