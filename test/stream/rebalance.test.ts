/**
 * Two instances of one job on the embedded broker share a topic's partitions through the consumer
 * group. When the second joins, the first hands over partitions (their tasks finish the letters
 * they hold, flush, commit and stop); when the second stops, the first takes them back. A
 * stateless job's output holds every input record exactly once: a clean handover commits exactly
 * what was written. (A crashed instance would leave output without a commit: at-least-once.)
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { openEmbedded } from '../../src/client/embedded/index.ts'
import { type Admin, type Client } from '../../src/client/types.ts'
import { jsonFormat } from '../../src/stream/api/formats.ts'
import { type JobHandle } from '../../src/stream/api/job-handle.ts'
import { CollectingSink } from '../../src/stream/api/sink.ts'
import { StreamEnvironment } from '../../src/stream/api/stream-environment.ts'

interface Event {
  id: number
}

interface Seen {
  id: number
  partition: number
}

const WAIT_MS = 20_000

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

function startInstance(client: Client, sink: CollectingSink<Seen>): JobHandle {
  const env = StreamEnvironment.create({ client, autoWatermarkIntervalMs: 0, mailboxCapacity: 2 })
  const events = env.fromTopic('events', { format: jsonFormat<Event>(), toElement: (e, r): Seen => ({ id: e.id, partition: r.partition }) })
  events.sinkTo(sink)
  events.toTopic('copies', { format: jsonFormat<Seen>(), batching: { maxRecords: 50, maxDelayMs: 50 } })
  return env.execute('share')
}

async function produce(client: Client, from: number, count: number, perSend: number): Promise<void> {
  const producer = client.producer()
  for (let i = from; i < from + count; i += perSend) {
    const n = Math.min(perSend, from + count - i)
    await producer.send(Array.from({ length: n }, (_, k) => ({ topic: 'events', key: `k${i + k}`, value: JSON.stringify({ id: i + k }) })))
  }
  await producer.close()
}

async function members(admin: Admin): Promise<number> {
  const g = await admin.describeGroup('share')
  return g.state === 'Stable' ? g.members.length : -1
}

test('partitions move between two instances of a job: each record processed once, output once', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-rebalance-'))
  const { broker, client } = await openEmbedded({ dataDir })
  const jobs: JobHandle[] = []
  try {
    const admin = client.admin()
    await admin.createTopics([
      { name: 'events', partitions: 4 },
      { name: 'copies', partitions: 1 },
    ])
    const sinkA = new CollectingSink<Seen>('a')
    const sinkB = new CollectingSink<Seen>('b')
    const total = (): number => sinkA.values.length + sinkB.values.length

    // A alone owns all four partitions.
    const a = startInstance(client, sinkA)
    jobs.push(a)
    await until('A to join', async () => (await members(admin)) === 1)
    await produce(client, 0, 400, 20)
    await until('A to process the first wave', () => sinkA.values.length >= 400)

    // B joins while records flow: A hands two partitions over.
    const flowing = produce(client, 400, 400, 10)
    const b = startInstance(client, sinkB)
    jobs.push(b)
    await flowing
    await until('both instances to share the group', async () => (await members(admin)) === 2)
    await produce(client, 800, 400, 10)
    await until('the second wave to be processed', () => total() >= 1200)
    const bPartitions = new Set(sinkB.values.map((s) => s.partition))
    assert.equal(bPartitions.size, 2, `B owns two partitions (${[...bPartitions].join(',')})`)
    assert.ok(sinkA.values.some((s) => s.id >= 400 && !bPartitions.has(s.partition)), 'A went on with the other two')

    // B stops while records flow: A takes its partitions back from B's commits.
    const more = produce(client, 1200, 800, 10)
    await until('B to process some of the third wave', () => sinkB.values.some((s) => s.id >= 1200))
    await b.cancel()
    await more
    await until('the third wave to be processed', () => total() >= 2000)
    await sleep(200)

    const ids = [...sinkA.values, ...sinkB.values].map((s) => s.id).sort((x, y) => x - y)
    assert.deepEqual(ids, Array.from({ length: 2000 }, (_, i) => i), 'every record once, none twice')
    assert.ok(sinkA.values.some((s) => s.id >= 1200 && bPartitions.has(s.partition)), 'A read B’s partitions after B left')

    // The topic sink flushed before every commit: the output topic holds each record once too.
    await a.cancel()
    const [end] = await admin.listOffsets('copies', 'latest')
    const reader = client.consumer({ autoOffsetReset: 'earliest' })
    await reader.assign([{ topic: 'copies', partition: 0 }])
    const copied: number[] = []
    for await (const batch of reader.batches({ signal: AbortSignal.timeout(WAIT_MS) })) {
      for (const r of batch.records) copied.push((JSON.parse(r.value?.toString() ?? '{}') as Seen).id)
      if (batch.nextOffset >= (end?.offset ?? 0)) break
    }
    await reader.close()
    assert.deepEqual(copied.sort((x, y) => x - y), ids)
    await admin.close()
  } finally {
    for (const j of jobs) await j.cancel().catch(() => undefined)
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
})
