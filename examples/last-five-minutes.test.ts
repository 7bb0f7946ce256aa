/**
 * The sliding-per-event example on the embedded broker, against a direct count: for every user and
 * view time t, that user's views in [t - 5 min, t]. Disorder stays within the watermark bound, so
 * no view is late whenever watermarks are emitted.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RANGE_MS, runLastFiveMinutes } from './last-five-minutes.ts'
import { withTempBroker } from './support/embedded.ts'
import { generatePageViews } from './support/page-views.ts'

test('views in the last 5 minutes at every view match a direct count', async () => {
  // Short pauses, so ranges hold several views.
  const views = generatePageViews({ seed: 9, views: 1500, users: 12, meanPauseMs: 60_000, outOfOrderFraction: 0.3, maxOutOfOrderMs: 20_000 })
  const results = await withTempBroker((client) => runLastFiveMinutes(client, views, { outOfOrdernessMs: 20_000 }))

  const expected = new Map<string, { views: number; distinctPages: number }>()
  for (const [user, mine] of Map.groupBy(views, (v) => v.user)) {
    for (const t of new Set(mine.map((v) => v.ts))) {
      const inRange = mine.filter((v) => v.ts >= t - RANGE_MS && v.ts <= t)
      expected.set(`${user}@${new Date(t).toISOString()}`, { views: inRange.length, distinctPages: new Set(inRange.map((v) => v.page)).size })
    }
  }
  assert.ok([...expected.values()].some((e) => e.views >= 5), 'some ranges hold several views')

  const actual = new Map<string, { views: number; distinctPages: number }>()
  for (const r of results) {
    const k = `${r.user}@${r.at}`
    assert.ok(!actual.has(k), `one result per user and view time (${k})`)
    assert.equal(r.kind, 'insert')
    actual.set(k, { views: r.views, distinctPages: r.distinctPages })
  }
  assert.deepEqual(actual, expected)
})
