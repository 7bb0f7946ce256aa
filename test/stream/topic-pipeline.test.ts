/**
 * The stream processor on the embedded broker: topic source (with a bad record), keyBy through a
 * repartition topic carrying watermarks, event-time windows, topic sink; a bounded job finishes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { openEmbedded } from '../../src/client/embedded/index.ts'
import { type Client, type ConsumerRecord } from '../../src/client/types.ts'
import { count } from '../../src/stream/api/aggregates/index.ts'
import { type WindowResult } from '../../src/stream/api/changelog.ts'
import { jsonFormat } from '../../src/stream/api/formats.ts'
import { OutputTag } from '../../src/stream/api/output-tag.ts'
import { CollectingSink } from '../../src/stream/api/sink.ts'
import { StreamEnvironment } from '../../src/stream/api/stream-environment.ts'
import { type BadRecord } from '../../src/stream/api/transformation.ts'
import { type TimeWindow } from '../../src/stream/api/window.ts'
import { TumblingEventTimeWindows } from '../../src/stream/api/window-assigner.ts'
import { WatermarkStrategy } from '../../src/stream/api/watermark-strategy.ts'

interface Ride {
  zone: string
  fare: number
}

async function readAll(client: Client, topic: string, expected: number): Promise<ConsumerRecord[]> {
  const consumer = client.consumer({ groupId: `check-${topic}`, autoOffsetReset: 'earliest' })
  await consumer.subscribe([topic])
  const out: ConsumerRecord[] = []
  const ac = new AbortController()
  for await (const b of consumer.batches({ signal: ac.signal })) {
    out.push(...b.records)
    if (out.length >= expected) ac.abort()
  }
  await consumer.close()
  return out
}

test('topic → keyBy (repartition topic) → event-time windows → topic, as a bounded job', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-stream-'))
  const { broker, client } = await openEmbedded({ dataDir })
  try {
    const admin = client.admin()
    await admin.createTopics([
      { name: 'rides', partitions: 2 },
      { name: 'zone-counts', partitions: 1 },
    ])
    const zones = ['north', 'south', 'east']
    const rides: { ride: Ride; ts: number }[] = []
    for (let i = 0; i < 120; i++) rides.push({ ride: { zone: zones[i % 3] as string, fare: i }, ts: 1_000 * i + (i % 4) * 300 })
    const producer = client.producer()
    await producer.send(rides.map(({ ride, ts }, i) => ({ topic: 'rides', partition: i % 2, key: ride.zone, value: JSON.stringify(ride), timestamp: ts })))
    await producer.send([{ topic: 'rides', partition: 0, value: 'garbage', timestamp: 5 }])
    await producer.close()

    const env = StreamEnvironment.create({ client, parallelism: 2, autoWatermarkIntervalMs: 20 })
    const bad = new OutputTag<BadRecord>('bad')
    const collected = new CollectingSink<WindowResult<string, number, TimeWindow>>()
    const badSink = new CollectingSink<BadRecord>('bad-records')
    const source = env.fromTopic('rides', {
      format: jsonFormat<Ride>(),
      bounded: true,
      errors: bad,
      watermarks: WatermarkStrategy.forBoundedOutOfOrderness<Ride>(2_000),
    })
    source.getSideOutput(bad).sinkTo(badSink)
    const counts = source.keyBy((r) => r.zone, { name: 'by-zone' }).window(TumblingEventTimeWindows.of(30_000)).aggregate(count())
    counts.sinkTo(collected)
    counts.toTopic('zone-counts', { format: jsonFormat(), keyFn: (r) => `${r.key}@${r.window.start}` })
    const result = await env.execute('taxi').done

    const expected = new Map<string, number>()
    for (const { ride, ts } of rides) {
      const k = `${ride.zone}@${Math.floor(ts / 30_000) * 30_000}`
      expected.set(k, (expected.get(k) ?? 0) + 1)
    }
    assert.deepEqual(new Map(collected.values.map((r) => [`${r.key}@${r.window.start}`, r.value])), expected)
    assert.ok(collected.values.every((r) => r.kind === 'insert'))
    assert.deepEqual(badSink.values.map((b) => b.value?.toString()), ['garbage'])
    assert.equal(result.metrics['rides']?.['badRecords'], 1)

    const topics = await admin.listTopics({ includeInternal: true })
    assert.ok(topics.includes('taxi-by-zone-repartition'), `repartition topic created (${topics.join(',')})`)
    const [info] = await admin.describeTopics(['taxi-by-zone-repartition'])
    assert.equal(info?.partitions.length, 2)

    const written = await readAll(client, 'zone-counts', expected.size)
    assert.equal(written.length, expected.size)
    const first = written[0] as ConsumerRecord
    const decoded = JSON.parse(first.value?.toString() ?? 'null') as { key: string; window: { start: number }; value: number }
    assert.equal(first.key?.toString(), `${decoded.key}@${decoded.window.start}`)
    assert.equal(decoded.value, expected.get(`${decoded.key}@${decoded.window.start}`))
    await admin.close()
  } finally {
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
})

test('watermarks cross the repartition topic: an unbounded job fires windows before any end of input', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-stream-'))
  const { broker, client } = await openEmbedded({ dataDir })
  try {
    const admin = client.admin()
    await admin.createTopics([{ name: 'clicks', partitions: 3 }])
    await admin.close()
    const producer = client.producer()
    // Every partition advances to t = 100 s; windows of 10 s up to [80, 90) can close.
    const records = []
    for (let t = 0; t <= 100_000; t += 500) for (let p = 0; p < 3; p++) records.push({ topic: 'clicks', partition: p, value: JSON.stringify({ user: `u${(t / 500) % 5}` }), timestamp: t })
    await producer.send(records)
    await producer.close()

    const env = StreamEnvironment.create({ client, autoWatermarkIntervalMs: 10 })
    const out = new CollectingSink<WindowResult<string, number, TimeWindow>>()
    env
      .fromTopic('clicks', { format: jsonFormat<{ user: string }>(), watermarks: WatermarkStrategy.forMonotonousTimestamps<{ user: string }>() })
      .keyBy((c) => c.user)
      .window(TumblingEventTimeWindows.of(10_000))
      .aggregate(count())
      .sinkTo(out)
    const job = env.execute('clicks-live')
    const deadline = Date.now() + 20_000
    while (!out.values.some((r) => r.window.start === 80_000) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await job.cancel()
    const closed = out.values.filter((r) => r.window.start === 80_000)
    assert.equal(closed.length, 5, 'every user has a closed [80 s, 90 s) window')
    for (const r of closed) assert.equal(r.value, 12, '20 timestamps x 3 partitions / 5 users')
    assert.ok(out.values.every((r) => r.window.end <= 100_000), 'the window holding t = 100 s stays open: no end of input')
  } finally {
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
})

test('topic sink writes keys, headers and tombstones; a bounded job resumes from its committed offsets', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-stream-'))
  const { broker, client } = await openEmbedded({ dataDir })
  try {
    const admin = client.admin()
    await admin.createTopics([
      { name: 'in', partitions: 1 },
      { name: 'out', partitions: 1 },
    ])
    await admin.close()
    const produce = async (values: string[]): Promise<void> => {
      const p = client.producer()
      await p.send(values.map((v) => ({ topic: 'in', value: v })))
      await p.close()
    }
    const runJob = async (): Promise<number> => {
      const env = StreamEnvironment.create({ client })
      const seen = new CollectingSink<string>()
      const words = env.fromTopic('in', { format: jsonFormat<string>(), bounded: true })
      words.sinkTo(seen)
      words.toTopic('out', {
        format: jsonFormat<string>(),
        keyFn: (w) => w.toUpperCase(),
        headers: (w) => [{ key: 'len', value: String(w.length) }],
        tombstone: (w) => w.startsWith('-'),
      })
      await env.execute('copy').done
      return seen.values.length
    }
    await produce(['"ab"', '"-gone"'])
    assert.equal(await runJob(), 2)
    await produce(['"cde"'])
    assert.equal(await runJob(), 1, 'the second run starts after what the first committed')
    const out = await readAll(client, 'out', 3)
    assert.deepEqual(
      out.map((r) => [r.key?.toString(), r.value?.toString() ?? null, r.headers.find((h) => h.key === 'len')?.value?.toString()]),
      [
        ['AB', '"ab"', '2'],
        ['-GONE', null, '5'],
        ['CDE', '"cde"', '3'],
      ],
    )
  } finally {
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
})
