import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { Broker } from '../broker/broker.ts'
import { startKafkaServer } from '../broker/server/server.ts'
import { type GroupInfo, type GroupOffsetLag, type TopicInfo } from '../client/types.ts'
import { partitionForKey } from '../util/murmur2.ts'
import { assertOneLineError, runCli } from './cli-harness.ts'

/** A broker behind the Kafka wire server on an ephemeral port; the CLI reaches it with --bootstrap. */
async function withServer(fn: (bootstrap: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-cli-bootstrap-'))
  const broker = await Broker.open({ dataDir })
  const server = await startKafkaServer(broker, { listen: '127.0.0.1:0' })
  try {
    await fn(`127.0.0.1:${server.address.port}`)
  } finally {
    await server.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function ok(bootstrap: string, args: readonly string[], input?: string): Promise<string> {
  const r = await runCli([...args, '--bootstrap', bootstrap], input)
  assert.equal(r.code, 0, `tributary ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

function lines(stdout: string): { partition: number; offset: number; key: string | null; value: unknown }[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { partition: number; offset: number; key: string | null; value: unknown })
}

describe('tributary over the Kafka protocol (--bootstrap)', () => {
  it('creates a topic, produces, consumes as a group and describes the group', () =>
    withServer(async (bootstrap) => {
      await ok(bootstrap, ['topics', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=3600000'])
      const info = JSON.parse(await ok(bootstrap, ['topics', 'describe', 'orders', '--json'])) as TopicInfo
      assert.equal(info.partitions.length, 3)
      assert.equal(info.configs['retention.ms'], '3600000')

      const input = Array.from({ length: 20 }, (_, i) => JSON.stringify({ user: `u${i % 6}`, n: i })).join('\n') + '\n'
      await ok(bootstrap, ['produce', 'orders', '--key-field', 'user'], input)
      const all = lines(await ok(bootstrap, ['consume', 'orders', '--from-beginning']))
      assert.equal(all.length, 20)
      for (const r of all) assert.equal(r.partition, partitionForKey(Buffer.from(r.key ?? ''), 3), 'murmur2 over the wire too')

      const grouped = lines(await ok(bootstrap, ['consume', 'orders', '--group', 'billing', '--from-beginning']))
      assert.deepEqual(grouped.map((r) => (r.value as { n: number }).n).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i))
      // The group committed what it printed: nothing left for a second run.
      assert.equal(lines(await ok(bootstrap, ['consume', 'orders', '--group', 'billing', '--from-beginning'])).length, 0)

      const described = JSON.parse(await ok(bootstrap, ['groups', 'describe', 'billing', '--json'])) as GroupInfo & { offsets: GroupOffsetLag[] }
      assert.equal(described.groupId, 'billing')
      assert.deepEqual(described.members, [])
      assert.equal(described.offsets.reduce((n, o) => n + o.committedOffset, 0), 20)
      assert.deepEqual(described.offsets.map((o) => o.lag), [0, 0, 0])
      assert.match(await ok(bootstrap, ['groups', 'list']), /billing/)
    }))

  it('reports a broker nobody listens on, and rejects --data-dir with --bootstrap', async () => {
    // Port 1 on loopback: refused at once.
    assertOneLineError(await runCli(['topics', 'list', '--bootstrap', '127.0.0.1:1']), 1, /127\.0\.0\.1:1|connect/i)
    assertOneLineError(await runCli(['topics', 'list', '--bootstrap', '127.0.0.1:1', '--data-dir', 'x']), 2, /cannot be combined/)
    assertOneLineError(await runCli(['topics', 'list', '--sasl-username', 'u']), 2, /needs --bootstrap/)
  })
})
