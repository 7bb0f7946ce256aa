import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openEmbedded } from '../client/embedded/index.ts'
import { type TopicInfo } from '../client/types.ts'
import { partitionForKey } from '../util/murmur2.ts'
import { assertOneLineError, ok, okJson, runCli, withDataDir } from './cli-harness.ts'

interface Printed {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: unknown
  headers: Record<string, string | null>
}

function lines(stdout: string): Printed[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Printed)
}

async function endOffsets(dir: string, topic: string): Promise<number[]> {
  return (await okJson<TopicInfo>(dir, 'topics', 'describe', topic)).partitions.map((p) => p.logEndOffset)
}

const events = Array.from({ length: 30 }, (_, i) => ({ user: `u${i % 7}`, page: `/p/${i}`, n: i }))
const input = events.map((e) => JSON.stringify(e)).join('\n') + '\n'

describe('tributary produce / consume', () => {
  it('produces JSON lines keyed by a field and consumes them from the beginning', () =>
    withDataDir(async (dir) => {
      await ok(dir, 'topics', 'create', 'views', '--partitions', '3')
      const produced = await runCli(['produce', 'views', '--key-field', 'user', '--data-dir', dir], input)
      assert.equal(produced.code, 0, produced.stderr)
      assert.match(produced.stderr, /Produced 30 records/)
      const out = lines(await ok(dir, 'consume', 'views', '--from-beginning'))
      assert.equal(out.length, 30)
      for (const r of out) {
        const e = r.value as (typeof events)[number]
        assert.equal(r.topic, 'views')
        assert.equal(r.key, e.user)
        assert.equal(r.partition, partitionForKey(Buffer.from(e.user), 3))
        assert.deepEqual(r.headers, {})
        assert.equal(typeof r.timestamp, 'number')
      }
      assert.deepEqual(out.map((r) => (r.value as { n: number }).n).sort((a, b) => a - b), events.map((e) => e.n))
      // Per-partition order is the produce order.
      for (const p of [0, 1, 2]) {
        const mine = out.filter((r) => r.partition === p)
        assert.deepEqual(mine.map((r) => r.offset), mine.map((_, i) => i))
        const ns = mine.map((r) => (r.value as { n: number }).n)
        assert.deepEqual(ns, [...ns].sort((a, b) => a - b))
      }
      // Without a start option a bounded consume starts at the end: nothing to print.
      assert.equal(await ok(dir, 'consume', 'views'), '')
    }))

  it('reads a partition from an offset, from a time, and stops after --max', () =>
    withDataDir(async (dir) => {
      await ok(dir, 'topics', 'create', 'logs', '--partitions', '2')
      const r = await runCli(['produce', 'logs', '--partition', '1', '--key', 'k', '--data-dir', dir], '{"a":1}\n\n"text"\n[1,2]\n{"a":4}\n')
      assert.equal(r.code, 0, r.stderr)
      const fromOffset = lines(await ok(dir, 'consume', 'logs', '--partition', '1', '--offset', '1'))
      assert.deepEqual(fromOffset.map((x) => [x.partition, x.offset, x.key]), [[1, 1, 'k'], [1, 2, 'k'], [1, 3, 'k']])
      assert.deepEqual(fromOffset.map((x) => x.value), ['text', [1, 2], { a: 4 }])
      assert.equal(lines(await ok(dir, 'consume', 'logs', '--from-beginning', '--max', '2')).length, 2)
      assert.equal(lines(await ok(dir, 'consume', 'logs', '--from-time', '2000-01-01T00:00:00Z')).length, 4)
      assert.equal(lines(await ok(dir, 'consume', 'logs', '--from-time', '2999-01-01T00:00:00Z')).length, 0)
      assert.deepEqual(await endOffsets(dir, 'logs'), [0, 4])
    }))

  it('prints keys, headers and non-JSON values as strings, null values as null', () =>
    withDataDir(async (dir) => {
      const { broker, client } = await openEmbedded({ dataDir: dir })
      await client.admin().createTopics([{ name: 'raw', partitions: 1 }])
      await client.producer().send([
        { topic: 'raw', key: 'k1', value: 'plain text', headers: [{ key: 'trace', value: 'abc' }, { key: 'empty', value: null }], timestamp: 1_700_000_000_000 },
        { topic: 'raw', value: null, timestamp: 1_700_000_000_001 },
      ])
      await client.close()
      await broker.close()
      assert.deepEqual(lines(await ok(dir, 'consume', 'raw', '--from-beginning')), [
        { topic: 'raw', partition: 0, offset: 0, timestamp: 1_700_000_000_000, key: 'k1', value: 'plain text', headers: { trace: 'abc', empty: null } },
        { topic: 'raw', partition: 0, offset: 1, timestamp: 1_700_000_000_001, key: null, value: null, headers: {} },
      ])
    }))

  it('rejects non-JSON lines, unknown topics and bad flags with one line, writing nothing', () =>
    withDataDir(async (dir) => {
      await ok(dir, 'topics', 'create', 'strict', '--partitions', '2')
      assertOneLineError(await runCli(['produce', 'strict', '--data-dir', dir], '{"ok":1}\nnot json\n{"ok":3}\n'), 1, /line 2 is not valid JSON.*0 records produced/)
      assertOneLineError(await runCli(['produce', 'strict', '--key-field', 'user', '--data-dir', dir], '{"user":"a"}\n{"other":1}\n'), 1, /line 2 has no field "user"/)
      assert.deepEqual(await endOffsets(dir, 'strict'), [0, 0])
      assertOneLineError(await runCli(['produce', 'missing', '--data-dir', dir], '{}\n'), 1, /missing/)
      assertOneLineError(await runCli(['produce', 'strict', '--partition', '7', '--data-dir', dir], '{}\n'), 1, /no partition 7/)
      assertOneLineError(await runCli(['produce', 'strict', '--key', 'a', '--key-field', 'b', '--data-dir', dir], '{}\n'), 2, /cannot be combined/)
      assertOneLineError(await runCli(['consume', 'missing', '--data-dir', dir]), 1, /missing/)
      assertOneLineError(await runCli(['consume', 'strict', '--offset', '3', '--data-dir', dir]), 2, /--offset needs --partition/)
      assertOneLineError(await runCli(['consume', 'strict', '--group', 'g', '--partition', '0', '--data-dir', dir]), 2, /cannot be combined with --group/)
      assertOneLineError(await runCli(['consume', 'strict', '--from-time', 'yesterday', '--data-dir', dir]), 2, /ISO date-time/)
      assertOneLineError(await runCli(['consume', 'strict', '--max', '-1', '--data-dir', dir]), 2, /--max/)
      assertOneLineError(await runCli(['consume', '--data-dir', dir]), 2, /missing TOPIC/)
      assert.deepEqual(await endOffsets(dir, 'strict'), [0, 0])
    }))

  it('fails with one clear line when another process holds the data directory', () =>
    withDataDir(async (dir) => {
      const { broker, client } = await openEmbedded({ dataDir: dir })
      try {
        assertOneLineError(await runCli(['topics', 'list', '--data-dir', dir]), 1, /in use by another process/)
      } finally {
        await client.close()
        await broker.close()
      }
    }))
})
