/**
 * @module Seeded page views for the session, sliding and lateness examples. Users browse in bursts
 * (views a few minutes apart) separated by breaks longer than half an hour, with some pauses of
 * 15 to 45 minutes in between, so 30-minute session windows have something to find and their gap
 * matters. Arrival order is the order of the undisplaced view times; as
 * with the taxi generator, some views are displaced back by up to `maxOutOfOrderMs` (ordinary
 * disorder) and a few by more than that plus `minLatenessMs` (late data).
 */
import { SeededRandom } from '../../src/stream/generators/random.ts'

export interface PageView {
  /** Position in arrival order. */
  viewId: number
  user: string
  page: string
  /** Event time, epoch ms. */
  ts: number
}

export interface PageViewConfig {
  seed?: number
  views: number
  users?: number
  /** Default 2024-01-01T08:00:00Z. */
  startTime?: number
  /** Mean pause between two views of one user within a burst (default 2 minutes). */
  meanPauseMs?: number
  /** Chance that a user takes a break after a view (default 0.12). */
  breakChance?: number
  /** Breaks last 30 minutes plus an exponential part with this mean (default 1 hour). */
  meanBreakMs?: number
  outOfOrderFraction?: number
  maxOutOfOrderMs?: number
  lateFraction?: number
  minLatenessMs?: number
  maxLatenessMs?: number
}

export const PAGES = ['/', '/search', '/product', '/cart', '/checkout', '/account', '/help'] as const
// Rough traffic shares of the pages above.
const WEIGHTS = [30, 20, 25, 10, 5, 7, 3]
const TOTAL_WEIGHT = WEIGHTS.reduce((a, b) => a + b, 0)

export function generatePageViews(config: PageViewConfig): PageView[] {
  const rng = new SeededRandom(config.seed ?? 1, 0x9a6e)
  const users = config.users ?? 40
  const start = config.startTime ?? Date.UTC(2024, 0, 1, 8)
  const meanPause = config.meanPauseMs ?? 120_000
  const breakChance = config.breakChance ?? 0.12
  const meanBreak = config.meanBreakMs ?? 3_600_000
  const disorder = config.outOfOrderFraction ?? 0
  const maxDisorder = config.maxOutOfOrderMs ?? 0
  const late = config.lateFraction ?? 0
  const minLate = config.minLatenessMs ?? 0
  const maxLate = config.maxLatenessMs ?? minLate
  // Next undisplaced view time per user; users start at random points of the first hour.
  const next = Array.from({ length: users }, () => start + rng.nextInt(3_600_000))
  const out: PageView[] = []
  for (let viewId = 0; viewId < config.views; viewId++) {
    let u = 0
    for (let i = 1; i < users; i++) if ((next[i] as number) < (next[u] as number)) u = i
    const at = next[u] as number
    const kind = rng.nextDouble()
    const pause = kind < breakChance ? 1_800_000 + rng.nextExponential(meanBreak) : kind < breakChance + 0.06 ? 900_000 + rng.nextInt(1_800_000) : rng.nextExponential(meanPause)
    next[u] = at + 1 + Math.round(pause)
    let r = rng.nextInt(TOTAL_WEIGHT)
    let p = 0
    while (r >= (WEIGHTS[p] as number)) r -= WEIGHTS[p++] as number
    const x = rng.nextDouble()
    let shift = 0
    if (viewId > 0 && x < late) shift = maxDisorder + minLate + 1 + rng.nextInt(maxLate - minLate + 1)
    else if (viewId > 0 && x < late + disorder && maxDisorder > 0) shift = 1 + rng.nextInt(maxDisorder)
    out.push({ viewId, user: `user-${u}`, page: PAGES[p] as string, ts: at - shift })
  }
  return out
}
