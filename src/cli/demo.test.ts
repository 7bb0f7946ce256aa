import assert from 'node:assert/strict'
import { it } from 'node:test'
import { runCli } from './cli-harness.ts'

it('demo runs the taxi pipeline for its duration, prints closed windows and exits cleanly', async () => {
  // An event-time hour per second, so several windows close within the run.
  const r = await runCli(['demo', '--duration', '6', '--rate', '300', '--speed', '3600'])
  assert.equal(r.code, 0, r.stderr)
  const summaries = r.stdout.split('Tributary demo').length - 1
  assert.ok(summaries >= 2, `expected at least 2 summaries, got ${summaries}:\n${r.stdout}`)
  assert.match(r.stdout, /produced [1-9]\d* rides \(\d+\/s\)\s+processed [1-9]\d* \(\d+\/s\)\s+consumer lag \d+/)
  assert.match(r.stdout, /watermark 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d \(event time runs 3600x\)\s+late rides on late-rides: \d+/)
  assert.match(r.stdout, /last closed window \d{4}-\d\d-\d\d \d\d:\d\d-\d\d:\d\d: [1-9]\d* rides in [1-9]\d* zones/)
  assert.match(r.stdout, /ZONE\s+RIDES\s+REVENUE\n\s*\d+\s+[1-9]\d*\s+[\d,]+\.\d\d\n/)
  assert.match(r.stderr, /Demo stopped/)
})
