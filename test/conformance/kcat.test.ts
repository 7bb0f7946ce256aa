/**
 * Conformance with librdkafka through kcat (spawned): metadata, produce with every codec and consume
 * from the beginning, a balanced consumer group with commits, an idempotent producer.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type RunningBroker, readAll, requireTool, run, storedBatches, withBroker } from './harness.ts'

/** Settings that keep librdkafka quick against a local broker. */
const QUICK = ['-X', 'topic.metadata.refresh.interval.ms=1000', '-X', 'socket.timeout.ms=10000']

function kcat(b: RunningBroker, args: readonly string[], input?: string): ReturnType<typeof run> {
  return run('kcat', ['-b', b.bootstrap, ...QUICK, ...args], input === undefined ? {} : { input })
}

async function ok(b: RunningBroker, args: readonly string[], input?: string): Promise<string> {
  const r = await kcat(b, args, input)
  assert.equal(r.code, 0, `kcat ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return r.stdout
}

describe('kcat (librdkafka)', () => {
  it('lists brokers, topics and partitions with -L', async (t) => {
    if (!requireTool(t, 'kcat')) return
    await withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'listed', partitions: 3 }])
      const meta = JSON.parse(await ok(b, ['-L', '-J'])) as {
        brokers: { id: number; name: string }[]
        topics: { topic: string; partitions: { partition: number; leader: number }[] }[]
      }
      assert.equal(meta.brokers.length, 1)
      assert.equal(meta.brokers[0]?.name, b.bootstrap)
      const topic = meta.topics.find((x) => x.topic === 'listed')
      assert.deepEqual(topic?.partitions.map((p) => p.partition).sort(), [0, 1, 2])
      for (const p of topic?.partitions ?? []) assert.equal(p.leader, meta.brokers[0]?.id)
    })
  })

  it('produces with no compression, gzip, snappy, lz4 and zstd, and consumes every payload from the beginning', async (t) => {
    if (!requireTool(t, 'kcat')) return
    await withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'codecs', partitions: 2 }])
      const expected: string[] = []
      for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
        const lines = Array.from({ length: 200 }, (_, i) => `${codec}-${i}:${codec} payload ${i} ${'x'.repeat(i % 50)}`)
        expected.push(...lines)
        // -K: splits key and value; linger lets librdkafka build real (compressed) batches.
        await ok(b, ['-P', '-t', 'codecs', '-K', ':', '-z', codec, '-X', 'linger.ms=50'], lines.join('\n') + '\n')
      }
      const out = await ok(b, ['-C', '-t', 'codecs', '-o', 'beginning', '-e', '-f', '%k:%s\\n'])
      const got = out.split('\n').filter((l) => l !== '')
      assert.equal(got.length, expected.length)
      assert.deepEqual([...got].sort(), [...expected].sort())
      // Per key, one partition (librdkafka's default partitioner hashes keys): what our broker stored agrees.
      const stored = await readAll(b, 'codecs')
      assert.deepEqual(stored.map((r) => `${r.key}:${r.value}`).sort(), [...expected].sort())
    })
  })

  it('consumes as a balanced consumer group (-G) and commits the offsets it read', async (t) => {
    if (!requireTool(t, 'kcat')) return
    await withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'grouped', partitions: 3 }])
      const lines = Array.from({ length: 90 }, (_, i) => `k${i}:v${i}`)
      await ok(b, ['-P', '-t', 'grouped', '-K', ':'], lines.join('\n') + '\n')
      const group = ['-G', 'kcat-group', '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500', '-e', '-f', '%k:%s\\n']
      const out = await ok(b, [...group, 'grouped'])
      assert.deepEqual(out.split('\n').filter((l) => l !== '').sort(), [...lines].sort())
      const committed = await b.admin.fetchGroupOffsets('kcat-group')
      const ends = new Map((await b.admin.listOffsets('grouped', 'latest')).map((o) => [o.partition, o.offset]))
      assert.deepEqual(
        committed.map((c) => [c.topic, c.partition, c.offset]).sort(),
        [0, 1, 2].map((p) => ['grouped', p, ends.get(p)]),
      )
      // A second run of the group starts at the committed offsets: only the new record arrives.
      await ok(b, ['-P', '-t', 'grouped', '-K', ':'], 'late:record\n')
      const again = await ok(b, [...group, 'grouped'])
      assert.deepEqual(again.split('\n').filter((l) => l !== ''), ['late:record'])
    })
  })

  it('produces with the idempotent producer (enable.idempotence=true)', async (t) => {
    if (!requireTool(t, 'kcat')) return
    await withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'idempotent', partitions: 1 }])
      const lines = Array.from({ length: 500 }, (_, i) => `idem-${i}`)
      await ok(b, ['-P', '-t', 'idempotent', '-X', 'enable.idempotence=true', '-X', 'linger.ms=20'], lines.join('\n') + '\n')
      const stored = await readAll(b, 'idempotent')
      assert.deepEqual(stored.map((r) => r.value), lines, 'every record once, in order')
      const batches = await storedBatches(b, 'idempotent', 0)
      assert.ok(batches.length > 0)
      for (const batch of batches) assert.ok(batch.producerId >= 0n, `batch at ${batch.baseOffset} carries a producer id`)
      const out = await ok(b, ['-C', '-t', 'idempotent', '-o', 'beginning', '-e'])
      assert.deepEqual(out.split('\n').filter((l) => l !== ''), lines)
    })
  })
})
