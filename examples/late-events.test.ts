/**
 * The late-data example on the embedded broker with per-event watermarks, so lateness follows from
 * each partition's order alone. The expected output is recomputed by walking the partitions with
 * Flink's rules: a window fires when the watermark passes its end, fires again for every view
 * within the allowed lateness, and a view whose window end + lateness the watermark passed is late.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CLICKS_TOPIC, MINUTE_MS, pageCountKey, runLateEvents } from './late-events.ts'
import { readTopic, withTempBroker } from './support/embedded.ts'
import { type PageView, generatePageViews } from './support/page-views.ts'

const BOUND_MS = 5_000
const LATENESS_MS = MINUTE_MS

interface WindowState {
  end: number
  count: number
  timer: boolean
  emitted: [string, number][]
}

/** Expected changes per page@windowStart and late view ids, from the views in partition order. */
function simulate(partitions: Map<number, PageView[]>): { changes: Map<string, [string, number][]>; late: number[] } {
  const changes = new Map<string, [string, number][]>()
  const late: number[] = []
  for (const views of partitions.values()) {
    const windows = new Map<string, WindowState>()
    const emit = (w: WindowState): void => {
      w.emitted.push([w.emitted.length === 0 ? 'insert' : 'update', w.count])
    }
    const advance = (wm: number): void => {
      for (const w of windows.values()) {
        if (w.timer && w.end - 1 <= wm) {
          w.timer = false
          emit(w)
        }
      }
    }
    let maxTs = -Infinity
    let wm = -Infinity
    for (const v of views) {
      const start = Math.floor(v.ts / MINUTE_MS) * MINUTE_MS
      const end = start + MINUTE_MS
      if (end - 1 + LATENESS_MS <= wm) late.push(v.viewId)
      else {
        const key = pageCountKey({ page: v.page, windowStart: new Date(start).toISOString() })
        let w = windows.get(key)
        if (w === undefined) {
          w = { end, count: 0, timer: false, emitted: [] }
          windows.set(key, w)
          changes.set(key, w.emitted)
        }
        w.count++
        if (end - 1 <= wm) emit(w)
        else w.timer = true
      }
      maxTs = Math.max(maxTs, v.ts)
      if (maxTs - BOUND_MS - 1 > wm) advance((wm = maxTs - BOUND_MS - 1))
    }
    advance(Infinity)
  }
  return { changes, late }
}

test('late views update windows within the allowed lateness and go to late-events after it', async () => {
  const views = generatePageViews({ seed: 8, views: 3000, users: 40, meanPauseMs: 60_000, outOfOrderFraction: 0.2, maxOutOfOrderMs: BOUND_MS, lateFraction: 0.05, minLatenessMs: 5_000, maxLatenessMs: 240_000 })
  const { run, partitions } = await withTempBroker(async (client) => {
    const run = await runLateEvents(client, views, { watermarks: 'per-event', outOfOrdernessMs: BOUND_MS, allowedLatenessMs: LATENESS_MS })
    const partitions = new Map<number, PageView[]>()
    for (const r of await readTopic(client, CLICKS_TOPIC)) {
      const list = partitions.get(r.partition) ?? []
      list.push(JSON.parse(r.value?.toString() ?? 'null') as PageView)
      partitions.set(r.partition, list)
    }
    return { run, partitions }
  })
  assert.equal(partitions.size, 3)
  const expected = simulate(partitions)
  const updates = [...expected.changes.values()].filter((c) => c.length > 1).length
  assert.ok(updates > 0 && expected.late.length > 0, `the input has updates (${updates}) and late views (${expected.late.length})`)

  const actual = new Map<string, [string, number][]>()
  for (const c of run.counts) {
    const key = pageCountKey(c)
    assert.equal(Date.parse(c.windowEnd) - Date.parse(c.windowStart), MINUTE_MS)
    actual.set(key, [...(actual.get(key) ?? []), [c.kind, c.views]])
  }
  assert.deepEqual(actual, expected.changes)
  assert.deepEqual(run.late.map((v) => v.viewId).sort((a, b) => a - b), expected.late.sort((a, b) => a - b))
})
