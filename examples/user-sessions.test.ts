/**
 * The sessions example on the embedded broker, against sessions recomputed by sorting each user's
 * views and splitting at pauses longer than the gap. Disorder stays within the watermark bound,
 * so no view is late and the result cannot depend on when watermarks were emitted.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { withTempBroker } from './support/embedded.ts'
import { type PageView, generatePageViews } from './support/page-views.ts'
import { SESSION_GAP_MS, runUserSessions, sessionKey } from './user-sessions.ts'

function sortAndSplit(views: readonly PageView[]): Map<string, { views: number; pages: string[] }> {
  const out = new Map<string, { views: number; pages: string[] }>()
  for (const [user, mine] of Map.groupBy(views, (v) => v.user)) {
    const sorted = [...mine].sort((a, b) => a.ts - b.ts || a.page.localeCompare(b.page))
    let session: PageView[] = []
    const close = (): void => {
      const first = session[0] as PageView
      const last = session[session.length - 1] as PageView
      out.set(sessionKey({ user, start: new Date(first.ts).toISOString(), end: new Date(last.ts).toISOString() }), { views: session.length, pages: session.map((v) => v.page) })
    }
    for (const v of sorted) {
      const prev = session[session.length - 1]
      if (prev !== undefined && v.ts - prev.ts > SESSION_GAP_MS) {
        close()
        session = []
      }
      session.push(v)
    }
    close()
  }
  return out
}

test('user sessions match sort-and-split per user, with out-of-order views', async () => {
  const views = generatePageViews({ seed: 5, views: 2500, users: 20, outOfOrderFraction: 0.3, maxOutOfOrderMs: 10_000 })
  const lastTs = new Map<string, number>()
  let disordered = 0
  for (const v of views) {
    if (v.ts < (lastTs.get(v.user) ?? -Infinity)) disordered++
    lastTs.set(v.user, Math.max(v.ts, lastTs.get(v.user) ?? -Infinity))
  }
  assert.ok(disordered > 0, 'some views arrive after later views of the same user')

  const sessions = await withTempBroker((client) => runUserSessions(client, views, { outOfOrdernessMs: 10_000 }))
  const expected = sortAndSplit(views)
  assert.ok(expected.size > 100, `enough sessions to mean something (${expected.size})`)
  const actual = new Map([...sessions].map(([k, s]) => [k, { views: s.views, pages: s.pages }]))
  assert.deepEqual(actual, expected)
  for (const [k, s] of sessions) {
    assert.equal(k, sessionKey(s))
    assert.notEqual(s.kind, 'delete')
  }
})
