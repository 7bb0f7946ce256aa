import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type GroupInfo, type GroupListing, type GroupOffsetLag } from '../client/types.ts'
import { assertOneLineError, ok, okJson, runCli, withDataDir } from './cli-harness.ts'

type Described = GroupInfo & { offsets: GroupOffsetLag[] }

function count(stdout: string): number {
  return stdout.split('\n').filter((l) => l !== '').length
}

async function produce(dir: string, topic: string, from: number, n: number): Promise<void> {
  const input = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `id-${from + i}` })).join('\n')
  const r = await runCli(['produce', topic, '--key-field', 'id', '--data-dir', dir], input)
  assert.equal(r.code, 0, r.stderr)
}

describe('tributary groups', () => {
  it('consumes as a group, shows lag, and replays after reset-offsets', () =>
    withDataDir(async (dir) => {
      await ok(dir, 'topics', 'create', 'orders', '--partitions', '2')
      await produce(dir, 'orders', 0, 10)
      assert.equal(count(await ok(dir, 'consume', 'orders', '--group', 'billing', '--from-beginning')), 10)
      // Committed what it printed: a second run has nothing new.
      assert.equal(count(await ok(dir, 'consume', 'orders', '--group', 'billing', '--from-beginning')), 0)

      const listed = await okJson<GroupListing[]>(dir, 'groups', 'list')
      assert.deepEqual(listed.map((g) => [g.groupId, g.state]), [['billing', 'Empty']])
      let described = await okJson<Described>(dir, 'groups', 'describe', 'billing')
      assert.equal(described.state, 'Empty')
      assert.deepEqual(described.members, [])
      assert.equal(described.offsets.length, 2)
      assert.equal(described.offsets.reduce((n, o) => n + o.committedOffset, 0), 10)
      assert.deepEqual(described.offsets.map((o) => o.lag), [0, 0])

      await produce(dir, 'orders', 10, 4)
      described = await okJson<Described>(dir, 'groups', 'describe', 'billing')
      assert.equal(described.offsets.reduce((n, o) => n + o.lag, 0), 4)
      assert.match(await ok(dir, 'groups', 'describe', 'billing'), /lag: 4/)

      const reset = await okJson<{ partition: number; offset: number }[]>(dir, 'groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest')
      assert.deepEqual(reset.map((r) => r.offset), [0, 0])
      assert.equal(count(await ok(dir, 'consume', 'orders', '--group', 'billing')), 14)
      described = await okJson<Described>(dir, 'groups', 'describe', 'billing')
      assert.deepEqual(described.offsets.map((o) => o.lag), [0, 0])

      const one = await okJson<{ partition: number; offset: number }[]>(dir, 'groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-offset', '1', '--partition', '1')
      assert.deepEqual(one.map((r) => [r.partition, r.offset]), [[1, 1]])
      await ok(dir, 'groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-datetime', '2999-01-01T00:00:00Z')
      described = await okJson<Described>(dir, 'groups', 'describe', 'billing')
      assert.deepEqual(described.offsets.map((o) => o.lag), [0, 0])
    }))

  it('rejects bad reset-offsets requests and unknown groups', () =>
    withDataDir(async (dir) => {
      await ok(dir, 'topics', 'create', 't')
      assertOneLineError(await runCli(['groups', 'reset-offsets', 'g', '--to-earliest', '--data-dir', dir]), 2, /missing --topic/)
      assertOneLineError(await runCli(['groups', 'reset-offsets', 'g', '--topic', 't', '--data-dir', dir]), 2, /give one of/)
      assertOneLineError(await runCli(['groups', 'reset-offsets', 'g', '--topic', 't', '--to-earliest', '--to-latest', '--data-dir', dir]), 2, /cannot be combined/)
      assertOneLineError(await runCli(['groups', 'reset-offsets', 'g', '--topic', 'nope', '--to-earliest', '--data-dir', dir]), 1, /nope/)
      assertOneLineError(await runCli(['groups', 'describe', 'ghost', '--data-dir', dir]), 1, /unknown group "ghost"/)
      assert.deepEqual(await okJson(dir, 'groups', 'list'), [])
    }))
})
