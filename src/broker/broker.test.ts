import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ManualClock } from '../util/clock.ts'
import { type ErrorCode, isTributaryError } from '../util/errors.ts'
import { type DecodedRecord, decodeRecords, encodeRecordBatch, forEachBatch } from '../protocol/records/record-batch.ts'
import { toPrometheusText } from '../metrics/prometheus.ts'
import { CLEAN_SHUTDOWN_FILE } from '../log/checkpoint.ts'
import { Broker } from './broker.ts'
import { type BrokerConfig, type FetchPartitionResult } from './types.ts'

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'tributary-broker-'))
}

async function withBroker(fn: (b: Broker, clock: ManualClock, dir: string) => Promise<void>, config: Partial<BrokerConfig> = {}): Promise<void> {
  const dir = await tempDir()
  const clock = new ManualClock(1_700_000_000_000)
  const broker = await Broker.open({ dataDir: dir, ...config }, { clock })
  try {
    await fn(broker, clock, dir)
  } finally {
    await broker.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
}

function isCode(code: ErrorCode) {
  return (e: unknown): boolean => isTributaryError(e, code)
}

function batch(values: readonly string[], timestamp = 1000, key?: string): Buffer {
  return encodeRecordBatch(
    values.map((v) => ({ key: key ?? null, value: v })),
    { timestamp },
  )
}

function decode(r: FetchPartitionResult): DecodedRecord[] {
  const out: DecodedRecord[] = []
  forEachBatch(r.records, 0, r.records.length, (pos, size) => decodeRecords(r.records, pos, size, r.topic, r.partition, out))
  return out
}

function values(r: FetchPartitionResult | undefined): string[] {
  assert.ok(r !== undefined)
  return decode(r).map((rec) => rec.value?.toString() ?? '<null>')
}

async function tick(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
}

const NO_WAIT = { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20 }

test('topics are created, listed, described and deleted; internal ones are hidden by default', async () => {
  await withBroker(async (b) => {
    const created = await b.createTopic('orders', { partitions: 3, configs: { 'retention.ms': '1000' } })
    assert.equal(created.partitions.length, 3)
    await b.createTopic('__internal.audit')
    assert.deepEqual(b.listTopics(), ['orders'])
    assert.deepEqual(b.listTopics({ includeInternal: true }), ['__consumer_offsets', '__internal.audit', 'orders'])
    const d = b.describeTopic('orders')
    assert.equal(d.internal, false)
    assert.match(d.id, /^[0-9a-f-]{36}$/)
    assert.equal(b.topicNameById(d.id), 'orders')
    assert.equal(b.topicNameById('00000000-0000-0000-0000-000000000000'), undefined)
    assert.equal(d.configs['retention.ms'], '1000')
    assert.equal(d.configs['cleanup.policy'], 'delete')
    assert.deepEqual(d.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset, p.highWatermark]), [
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [2, 0, 0, 0],
    ])
    assert.equal(b.describeTopic('__internal.audit').internal, true)
    assert.equal(b.hasTopic('orders'), true)
    await assert.rejects(b.createTopic('orders'), isCode('TOPIC_ALREADY_EXISTS'))
    await b.deleteTopic('orders')
    assert.equal(b.hasTopic('orders'), false)
    assert.throws(() => b.describeTopic('orders'), isCode('UNKNOWN_TOPIC'))
    await assert.rejects(b.deleteTopic('orders'), isCode('UNKNOWN_TOPIC'))
    await assert.rejects(b.alterTopicConfigs('orders', { 'retention.ms': '5' }), isCode('UNKNOWN_TOPIC'))
    await assert.rejects(b.createPartitions('orders', 5), isCode('UNKNOWN_TOPIC'))
    await assert.rejects(b.deleteTopic('__consumer_offsets'), isCode('INVALID_TOPIC_NAME'))
    await assert.rejects(b.createPartitions('__consumer_offsets', 5), isCode('INVALID_TOPIC_NAME'))
    // The transaction coordinator's state topic is as protected as the offsets topic.
    await assert.rejects(b.deleteTopic('__transaction_state'), isCode('INVALID_TOPIC_NAME'))
    await assert.rejects(b.produce('__transaction_state', 0, batch(['x'], 1, 'k')), isCode('INVALID_TOPIC_NAME'))
  })
})

test('bad names, partition counts and configs are refused and create nothing', async () => {
  await withBroker(async (b, _clock, dir) => {
    for (const name of ['', '.', '..', 'a/b', 'with space', 'ü', 'x'.repeat(250)]) {
      await assert.rejects(b.createTopic(name), isCode('INVALID_TOPIC_NAME'), name)
    }
    for (const partitions of [0, -1, 1.5, 10_001, Number.NaN]) {
      await assert.rejects(b.createTopic('t', { partitions }), isCode('INVALID_PARTITIONS'), String(partitions))
    }
    await assert.rejects(b.createTopic('t', { configs: { 'retention.ms': 'never' } }), (e) => isCode('INVALID_CONFIG')(e) && (e as Error).message.includes('retention.ms'))
    await assert.rejects(b.createTopic('t', { configs: { 'no.such.key': '1' } }), (e) => isCode('INVALID_CONFIG')(e) && (e as Error).message.includes('no.such.key'))
    await b.createTopic('a.b')
    await assert.rejects(b.createTopic('a_b'), isCode('INVALID_TOPIC_NAME'))
    assert.deepEqual(b.listTopics(), ['a.b'])
    assert.deepEqual((await fs.readdir(path.join(dir, 'logs'))).sort(), ['__consumer_offsets-0', 'a.b-0'])
  })
})

test('configs are altered, removed and validated all-or-nothing', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t', { configs: { 'retention.ms': '1000', 'segment.ms': '60000' } })
    await b.alterTopicConfigs('t', { 'retention.ms': null, 'cleanup.policy': 'compact' })
    let c = b.describeTopic('t').configs
    assert.equal(c['retention.ms'], String(7 * 24 * 3600 * 1000))
    assert.equal(c['cleanup.policy'], 'compact')
    assert.equal(c['segment.ms'], '60000')
    await assert.rejects(b.alterTopicConfigs('t', { 'segment.ms': '1', 'retention.bytes': 'lots' }), isCode('INVALID_CONFIG'))
    c = b.describeTopic('t').configs
    assert.equal(c['segment.ms'], '60000')
  })
})

test('partitions only grow and new ones take data', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t', { partitions: 1 })
    await assert.rejects(b.createPartitions('t', 1), isCode('INVALID_PARTITIONS'))
    await assert.rejects(b.createPartitions('t', 0), isCode('INVALID_PARTITIONS'))
    await b.createPartitions('t', 3)
    assert.equal(b.describeTopic('t').partitions.length, 3)
    const r = await b.produce('t', 2, batch(['x']))
    assert.equal(r.baseOffset, 0)
  })
})

test('produce assigns offsets, fetch returns the stored batches whole, metrics count records and bytes', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t', { partitions: 2 })
    const first = batch(['a', 'b', 'c'])
    const firstLength = first.length
    const r1 = await b.produce('t', 0, first)
    assert.deepEqual(r1, { baseOffset: 0, lastOffset: 2, logAppendTime: -1, logStartOffset: 0 })
    const r2 = await b.produce('t', 0, Buffer.concat([batch(['d']), batch(['e', 'f'])]))
    assert.equal(r2.baseOffset, 3)
    assert.equal(r2.lastOffset, 5)
    const [p0, p1] = await b.fetch(
      [
        { topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 },
        { topic: 't', partition: 1, offset: 0, maxBytes: 1 << 20 },
      ],
      NO_WAIT,
    )
    assert.deepEqual(values(p0), ['a', 'b', 'c', 'd', 'e', 'f'])
    assert.deepEqual(decode(p0 as FetchPartitionResult).map((r) => r.offset), [0, 1, 2, 3, 4, 5])
    assert.equal(p0?.highWatermark, 6)
    assert.equal(p0?.error, undefined)
    assert.deepEqual(values(p1), [])
    // A fetch from the middle of a batch returns that batch whole.
    const [mid] = await b.fetch([{ topic: 't', partition: 0, offset: 1, maxBytes: 1 << 20 }], NO_WAIT)
    assert.equal(decode(mid as FetchPartitionResult)[0]?.offset, 0)
    const text = toPrometheusText(b.metrics)
    assert.match(text, /^tributary_broker_messages_in_total\{topic="t",partition="0"\} 6$/m)
    assert.match(text, /^tributary_broker_messages_out_total\{topic="t",partition="0"\} 12$/m)
    const bytesIn = Number(/^tributary_broker_bytes_in_total\{topic="t",partition="0"\} (\d+)$/m.exec(text)?.[1])
    assert.ok(bytesIn > firstLength)
    assert.match(text, /^tributary_broker_produce_latency_ms_count 2$/m)
    assert.match(text, /^tributary_log_end_offset\{topic="t",partition="0"\} 6$/m)
  })
})

test('fetch reports per-partition errors next to data from healthy partitions', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t')
    await b.produce('t', 0, batch(['a', 'b']))
    const results = await b.fetch(
      [
        { topic: 'nope', partition: 0, offset: 0, maxBytes: 1000 },
        { topic: 't', partition: 7, offset: 0, maxBytes: 1000 },
        { topic: 't', partition: -1, offset: 0, maxBytes: 1000 },
        { topic: 't', partition: 0, offset: 99, maxBytes: 1000 },
        { topic: 't', partition: 0, offset: 0, maxBytes: 1000 },
      ],
      { maxWaitMs: 10_000, minBytes: 1 << 20, maxBytes: 1 << 20 },
    )
    assert.deepEqual(
      results.map((r) => r.error?.code),
      ['UNKNOWN_TOPIC', 'UNKNOWN_PARTITION', 'UNKNOWN_PARTITION', 'OFFSET_OUT_OF_RANGE', undefined],
    )
    assert.deepEqual(values(results[4]), ['a', 'b'])
    assert.equal(results[3]?.highWatermark, 2)
    await assert.rejects(b.fetch([{ topic: 't', partition: 0, offset: 0, maxBytes: -1 }], NO_WAIT), isCode('INVALID_ARGUMENT'))
    await assert.rejects(b.fetch([], { maxWaitMs: -1, minBytes: 0, maxBytes: 0 }), isCode('INVALID_ARGUMENT'))
  })
})

test('a long-poll fetch waits for an append, and otherwise for maxWaitMs on the clock', async () => {
  await withBroker(async (b, clock) => {
    await b.createTopic('t')
    const req = [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }]
    let done = false
    const waiting = b.fetch(req, { maxWaitMs: 30_000, minBytes: 1, maxBytes: 1 << 20 }).then((r) => {
      done = true
      return r
    })
    await tick()
    assert.equal(done, false)
    await b.produce('t', 0, batch(['hello']))
    assert.deepEqual(values((await waiting)[0]), ['hello'])

    let timedOut = false
    const empty = b.fetch([{ topic: 't', partition: 0, offset: 1, maxBytes: 1 << 20 }], { maxWaitMs: 5000, minBytes: 1, maxBytes: 1 << 20 }).then((r) => {
      timedOut = true
      return r
    })
    clock.advance(4999)
    await tick()
    assert.equal(timedOut, false)
    clock.advance(1)
    const [r] = await empty
    assert.equal(r?.records.length, 0)
    assert.equal(r?.highWatermark, 1)

    // minBytes larger than one append: the poll keeps waiting until enough arrived.
    const big = batch(['x'.repeat(100)])
    let bigDone = false
    const enough = b.fetch([{ topic: 't', partition: 0, offset: 1, maxBytes: 1 << 20 }], { maxWaitMs: 60_000, minBytes: big.length * 2, maxBytes: 1 << 20 })
    void enough.then(() => (bigDone = true))
    await b.produce('t', 0, batch(['x'.repeat(100)]))
    await tick()
    assert.equal(bigDone, false)
    await b.produce('t', 0, batch(['x'.repeat(100)]))
    assert.equal(decode((await enough)[0] as FetchPartitionResult).length, 2)
  })
})

test('a waiting fetch rejects with ABORTED on its signal and answers at once when the broker closes', async () => {
  const dir = await tempDir()
  try {
    const b = await Broker.open({ dataDir: dir }, { clock: new ManualClock(0) })
    await b.createTopic('t')
    const ac = new AbortController()
    const aborted = b.fetch([{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }], { maxWaitMs: 60_000, minBytes: 1, maxBytes: 100, signal: ac.signal })
    ac.abort()
    await assert.rejects(aborted, isCode('ABORTED'))
    const waiting = b.fetch([{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }], { maxWaitMs: 60_000, minBytes: 1, maxBytes: 100 })
    await b.close()
    const [r] = await waiting
    assert.equal(r?.records.length, 0)
    assert.equal(r?.error, undefined)
    await assert.rejects(b.fetch([], NO_WAIT), isCode('CLOSED'))
    await assert.rejects(b.produce('t', 0, batch(['x'])), isCode('CLOSED'))
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
})

test('byte limits: the first batch always comes whole, later partitions only get whole batches that fit', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t', { partitions: 2 })
    const one = batch(['y'.repeat(200)])
    for (let i = 0; i < 3; i++) await b.produce('t', 0, batch(['y'.repeat(200)]))
    await b.produce('t', 1, batch(['z'.repeat(200)]))
    // Limits below one batch still return the first batch whole.
    const [tiny] = await b.fetch([{ topic: 't', partition: 0, offset: 0, maxBytes: 10 }], { ...NO_WAIT, maxBytes: 10 })
    assert.equal(tiny?.records.length, one.length)
    // Room for two batches in the response: partition 0 takes them, partition 1 gets nothing.
    const [a, c] = await b.fetch(
      [
        { topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 },
        { topic: 't', partition: 1, offset: 0, maxBytes: 1 << 20 },
      ],
      { ...NO_WAIT, maxBytes: one.length * 2 + 10 },
    )
    assert.equal(decode(a as FetchPartitionResult).length, 2)
    assert.equal(c?.records.length, 0)
    assert.equal(c?.error, undefined)
    // A per-partition limit applies to partitions after the first non-empty one.
    const [d, e] = await b.fetch(
      [
        { topic: 't', partition: 1, offset: 0, maxBytes: 1 << 20 },
        { topic: 't', partition: 0, offset: 0, maxBytes: one.length + 5 },
      ],
      { ...NO_WAIT, maxBytes: 1 << 20 },
    )
    assert.equal(decode(d as FetchPartitionResult).length, 1)
    assert.equal(decode(e as FetchPartitionResult).length, 1)
  })
})

test('listOffsets finds the earliest, the latest and the first offset at a timestamp', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t')
    await b.produce('t', 0, batch(['a', 'b'], 1000))
    await b.produce('t', 0, batch(['c'], 2000))
    await b.produce('t', 0, batch(['d'], 3000))
    assert.deepEqual(await b.listOffsets('t', 0, 'earliest'), { offset: 0, timestamp: -1 })
    assert.deepEqual(await b.listOffsets('t', 0, 'latest'), { offset: 4, timestamp: -1 })
    assert.deepEqual(await b.listOffsets('t', 0, { timestamp: 1500 }), { offset: 2, timestamp: 2000 })
    assert.deepEqual(await b.listOffsets('t', 0, { timestamp: 0 }), { offset: 0, timestamp: 1000 })
    assert.deepEqual(await b.listOffsets('t', 0, { timestamp: 3001 }), { offset: -1, timestamp: -1 })
    assert.deepEqual(await b.listOffsets('t', 0, { timestamp: -2 }), { offset: 0, timestamp: -1 })
    assert.deepEqual(await b.listOffsets('t', 0, { timestamp: -1 }), { offset: 4, timestamp: -1 })
    await assert.rejects(b.listOffsets('t', 0, { timestamp: -7 }), isCode('INVALID_ARGUMENT'))
    await assert.rejects(b.listOffsets('t', 1, 'latest'), isCode('UNKNOWN_PARTITION'))
    await assert.rejects(b.listOffsets('u', 0, 'latest'), isCode('UNKNOWN_TOPIC'))
  })
})

test('bad produce input gets a clear error and leaves the log unchanged', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t', { configs: { 'max.message.bytes': '200' } })
    await b.produce('t', 0, batch(['ok']))
    await assert.rejects(b.produce('t', 0, batch(['z'.repeat(500)])), isCode('RECORD_TOO_LARGE'))
    const corrupt = batch(['will be damaged'])
    corrupt[corrupt.length - 3] = (corrupt[corrupt.length - 3] as number) ^ 0xff
    await assert.rejects(b.produce('t', 0, corrupt), (e) => isCode('CORRUPT_RECORD')(e) && /CRC/.test((e as Error).message))
    // A good batch followed by a damaged one: nothing of the request is written.
    await assert.rejects(b.produce('t', 0, Buffer.concat([batch(['good']), corrupt])), isCode('CORRUPT_RECORD'))
    await assert.rejects(b.produce('t', 0, batch(['x']).subarray(0, 30)), isCode('CORRUPT_RECORD'))
    await assert.rejects(b.produce('t', -1, batch(['x'])), isCode('UNKNOWN_PARTITION'))
    await assert.rejects(b.produce('t', 1, batch(['x'])), isCode('UNKNOWN_PARTITION'))
    await assert.rejects(b.produce('nope', 0, batch(['x'])), isCode('UNKNOWN_TOPIC'))
    await assert.rejects(b.produce('__consumer_offsets', 0, batch(['x'], 1, 'k')), isCode('INVALID_TOPIC_NAME'))
    await assert.rejects(b.produce('t', 0, batch(['x']), { acks: 2 as 1 }), isCode('INVALID_ARGUMENT'))
    await assert.rejects(b.produce('t', 0, corrupt, { acks: 0 }), isCode('CORRUPT_RECORD'))
    const d = b.describeTopic('t').partitions[0]
    assert.equal(d?.logEndOffset, 1)
    const [r] = await b.fetch([{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }], NO_WAIT)
    assert.deepEqual(values(r), ['ok'])
    assert.match(toPrometheusText(b.metrics), /^tributary_broker_failed_produce_requests_total\{topic="t"\} [1-9]/m)
  })
})

test('acks=0 answers without offsets and the records still arrive', async () => {
  await withBroker(async (b) => {
    await b.createTopic('t')
    const r = await b.produce('t', 0, batch(['fire', 'forget']), { acks: 0 })
    assert.deepEqual(r, { baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: -1 })
    const [f] = await b.fetch([{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }], { maxWaitMs: 60_000, minBytes: 1, maxBytes: 1 << 20 })
    assert.deepEqual(values(f), ['fire', 'forget'])
  })
})

test('auto-creation makes unknown topics on produce, but never from bad input', async () => {
  await withBroker(
    async (b) => {
      await assert.rejects(b.produce('bad name', 0, batch(['x'])), isCode('INVALID_TOPIC_NAME'))
      const corrupt = batch(['x'])
      corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] as number) ^ 1
      await assert.rejects(b.produce('fresh', 0, corrupt), isCode('CORRUPT_RECORD'))
      assert.deepEqual(b.listTopics(), [])
      await b.produce('fresh', 1, batch(['x']))
      assert.equal(b.describeTopic('fresh').partitions.length, 2)
      assert.equal(b.autoCreateTopics, true)
    },
    { autoCreateTopics: true, defaultPartitions: 2 },
  )
})

test('topics, configs and data survive a restart; a deleted topic does not come back', async () => {
  const dir = await tempDir()
  try {
    const clock = new ManualClock(0)
    let b = await Broker.open({ dataDir: dir }, { clock })
    await b.createTopic('keep', { partitions: 2, configs: { 'retention.ms': '12345' } })
    await b.createTopic('gone')
    await b.produce('keep', 1, batch(['one', 'two']))
    await b.produce('gone', 0, batch(['old']))
    await b.alterTopicConfigs('keep', { 'segment.ms': '99999' })
    await b.createPartitions('keep', 3)
    await b.deleteTopic('gone')
    const id = b.describeTopic('keep').id
    await b.close()
    // Every log was closed cleanly, so the next open need not recover it.
    for (const p of ['keep-0', 'keep-1', 'keep-2', '__consumer_offsets-0']) {
      await fs.access(path.join(dir, 'logs', p, CLEAN_SHUTDOWN_FILE))
    }

    b = await Broker.open({ dataDir: dir }, { clock })
    try {
      assert.deepEqual(b.listTopics(), ['keep'])
      const d = b.describeTopic('keep')
      assert.equal(d.id, id)
      assert.equal(d.partitions.length, 3)
      assert.equal(d.configs['retention.ms'], '12345')
      assert.equal(d.configs['segment.ms'], '99999')
      const [r] = await b.fetch([{ topic: 'keep', partition: 1, offset: 0, maxBytes: 1 << 20 }], NO_WAIT)
      assert.deepEqual(values(r), ['one', 'two'])
      await b.createTopic('gone')
      assert.equal(b.describeTopic('gone').partitions[0]?.logEndOffset, 0)
    } finally {
      await b.close()
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
})

test('one broker per data directory; damaged metadata and stray partition directories are handled at open', async () => {
  const dir = await tempDir()
  try {
    const clock = new ManualClock(0)
    const b = await Broker.open({ dataDir: dir }, { clock })
    await assert.rejects(Broker.open({ dataDir: dir }, { clock }), isCode('LOG_LOCKED'))
    await b.createTopic('t')
    await b.close()

    // A partition directory no topic claims (a crash mid-delete) is removed; the topic stays.
    await fs.mkdir(path.join(dir, 'logs', 'ghost-0'))
    await fs.writeFile(path.join(dir, 'logs', 'ghost-0', 'junk'), 'x')
    const again = await Broker.open({ dataDir: dir }, { clock })
    assert.deepEqual(again.listTopics(), ['t'])
    await again.close()
    assert.deepEqual((await fs.readdir(path.join(dir, 'logs'))).sort(), ['__consumer_offsets-0', 't-0'])

    const meta = path.join(dir, 'topics.json')
    const good = await fs.readFile(meta)
    await fs.writeFile(meta, good.subarray(0, good.length - 5))
    await assert.rejects(Broker.open({ dataDir: dir }, { clock }), isCode('STORAGE_ERROR'))
    await fs.writeFile(meta, good)
    // The failed open released the lock.
    const fixed = await Broker.open({ dataDir: dir }, { clock })
    assert.deepEqual(fixed.listTopics(), ['t'])
    await fixed.close()
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
})

test('maintenance runs on the clock: old segments go once retention.ms has passed', async () => {
  await withBroker(
    async (b, clock) => {
      await b.createTopic('t', { configs: { 'retention.ms': '60000', 'segment.bytes': '300' } })
      for (let i = 0; i < 6; i++) await b.produce('t', 0, batch(['v'.repeat(120)], clock.now()))
      assert.equal(b.describeTopic('t').partitions[0]?.logStartOffset, 0)
      clock.advance(61_000)
      // The timer started a run; an explicit run waits for it, and finds nothing left to delete.
      assert.equal(await b.runMaintenance(), 0)
      const p = b.describeTopic('t').partitions[0]
      assert.ok((p?.logStartOffset ?? 0) > 0, 'segments past retention were deleted')
      assert.equal(p?.logEndOffset, 6)
      const [r] = await b.fetch([{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }], NO_WAIT)
      assert.equal(r?.error?.code, 'OFFSET_OUT_OF_RANGE')
    },
    { maintenanceIntervalMs: 61_000 },
  )
})
