/**
 * Conformance with kafkajs 2.x, which speaks only the non-flexible versions of each API: produce and
 * consume, a two-member group rebalancing when one leaves, commits surviving a broker restart, the
 * idempotent producer, and transactions read back with read_committed.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CompressionTypes, type Consumer, type EachBatchPayload, Kafka, logLevel } from 'kafkajs'
import { type RunningBroker, assertDeliveredAtLeastOnce, readAll, storedBatches, waitFor, withBroker } from './harness.ts'

function kafka(b: RunningBroker): Kafka {
  return new Kafka({
    clientId: 'conformance-kafkajs',
    brokers: [b.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  })
}

/** Quick group timing for tests; the broker's limits allow it. */
const GROUP = { sessionTimeout: 6000, rebalanceTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 200 }

interface Seen {
  partition: number
  offset: number
  value: string
}

/** Runs a consumer collecting every message into `into` (and the assignment it last got). */
async function collect(consumer: Consumer, into: Seen[], assignment?: { current: number[] }): Promise<void> {
  if (assignment !== undefined) {
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assignment.current = Object.values(e.payload.memberAssignment).flat().sort()
    })
  }
  await consumer.run({
    eachBatch: async ({ batch }: EachBatchPayload) => {
      for (const m of batch.messages) into.push({ partition: batch.partition, offset: Number(m.offset), value: m.value?.toString('utf8') ?? '' })
    },
  })
}

describe('kafkajs (non-flexible versions)', () => {
  it('produces (plain and gzip) and consumes every record', () =>
    withBroker(async (b) => {
      const k = kafka(b)
      const admin = k.admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] })
      assert.deepEqual((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]?.partitions.map((p) => p.partitionId).sort(), [0, 1, 2])
      await admin.disconnect()
      const producer = k.producer()
      await producer.connect()
      const sent = Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 7}`, value: `order-${i}`, headers: { n: String(i) } }))
      const meta = await producer.send({ topic: 'orders', messages: sent.slice(0, 30), acks: -1 })
      assert.ok(meta.length > 0 && meta.every((m) => m.errorCode === 0))
      await producer.send({ topic: 'orders', messages: sent.slice(30), compression: CompressionTypes.GZIP })
      await producer.disconnect()

      const stored = await readAll(b, 'orders')
      assert.deepEqual(stored.map((r) => r.value).sort(), sent.map((m) => m.value).sort())
      const consumer = k.consumer({ groupId: 'kafkajs-reader', ...GROUP })
      await consumer.connect()
      await consumer.subscribe({ topics: ['orders'], fromBeginning: true })
      const seen: Seen[] = []
      await collect(consumer, seen)
      await waitFor('every record to arrive', () => seen.length >= 60)
      await consumer.disconnect()
      assert.deepEqual(seen.map((s) => s.value).sort(), sent.map((m) => m.value).sort())
      // Same records at the same offsets as the broker stored them.
      assert.deepEqual(
        seen.map((s) => `${s.partition}/${s.offset}/${s.value}`).sort(),
        stored.map((r) => `${r.partition}/${r.offset}/${r.value}`).sort(),
      )
    }))

  it('shares partitions between two group members and gives them all to the one left', () =>
    withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'shared', partitions: 4 }])
      const k = kafka(b)
      const c1 = k.consumer({ groupId: 'kafkajs-pair', ...GROUP })
      const c2 = k.consumer({ groupId: 'kafkajs-pair', ...GROUP })
      const a1 = { current: [] as number[] }
      const a2 = { current: [] as number[] }
      const seen1: Seen[] = []
      const seen2: Seen[] = []
      for (const c of [c1, c2]) {
        await c.connect()
        await c.subscribe({ topics: ['shared'], fromBeginning: true })
      }
      await collect(c1, seen1, a1)
      await collect(c2, seen2, a2)
      await waitFor('both members to hold partitions', () => a1.current.length > 0 && a2.current.length > 0 && a1.current.length + a2.current.length === 4)
      assert.deepEqual([...a1.current, ...a2.current].sort(), [0, 1, 2, 3])
      const producer = k.producer()
      await producer.connect()
      await producer.send({ topic: 'shared', messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `first-${i}` })) })
      await waitFor('the two members to read every record', () => seen1.length + seen2.length >= 40)
      for (const s of seen1) assert.ok(a1.current.includes(s.partition))
      for (const s of seen2) assert.ok(a2.current.includes(s.partition))

      await c2.disconnect()
      await waitFor('the remaining member to own every partition', () => a1.current.length === 4)
      await producer.send({ topic: 'shared', messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `second-${i}` })) })
      await waitFor('the remaining member to read the new records', () => new Set(seen1.filter((s) => s.value.startsWith('second-')).map((s) => s.value)).size >= 20)
      await producer.disconnect()
      await c1.disconnect()
      const all = [...seen1, ...seen2]
      assertDeliveredAtLeastOnce(all, Array.from({ length: 40 }, (_, i) => `first-${i}`))
      assertDeliveredAtLeastOnce(all, Array.from({ length: 20 }, (_, i) => `second-${i}`))
    }))

  it('keeps committed offsets across a broker restart', () =>
    withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'durable', partitions: 2 }])
      let k = kafka(b)
      let producer = k.producer()
      await producer.connect()
      await producer.send({ topic: 'durable', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `a${i}` })) })
      await producer.disconnect()
      const first = k.consumer({ groupId: 'kafkajs-durable', ...GROUP })
      await first.connect()
      await first.subscribe({ topics: ['durable'], fromBeginning: true })
      const seen: Seen[] = []
      await first.run({
        autoCommit: false,
        eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
          for (const m of batch.messages) {
            seen.push({ partition: batch.partition, offset: Number(m.offset), value: m.value?.toString('utf8') ?? '' })
            resolveOffset(m.offset)
          }
          await first.commitOffsets([{ topic: 'durable', partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }])
          await commitOffsetsIfNecessary()
        },
      })
      await waitFor('the first ten records', () => seen.length >= 10)
      await first.disconnect()
      const before = await b.admin.fetchGroupOffsets('kafkajs-durable')
      assert.equal(before.reduce((n, o) => n + o.offset, 0), 10)

      await b.restart()
      assert.deepEqual(await b.admin.fetchGroupOffsets('kafkajs-durable'), before, 'commits survive the restart')
      k = kafka(b)
      producer = k.producer()
      await producer.connect()
      await producer.send({ topic: 'durable', messages: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `b${i}` })) })
      await producer.disconnect()
      const second = k.consumer({ groupId: 'kafkajs-durable', ...GROUP })
      await second.connect()
      await second.subscribe({ topics: ['durable'], fromBeginning: true })
      const after: Seen[] = []
      await collect(second, after)
      await waitFor('the five new records', () => after.length >= 5)
      await second.disconnect()
      assert.deepEqual(after.map((s) => s.value).sort(), ['b0', 'b1', 'b2', 'b3', 'b4'])
    }))

  it('produces with the idempotent producer', () =>
    withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'idem', partitions: 1 }])
      const producer = kafka(b).producer({ idempotent: true, maxInFlightRequests: 1 })
      await producer.connect()
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'idem', acks: -1, messages: Array.from({ length: 20 }, (_, j) => ({ value: `idem-${i * 20 + j}` })) })
      await producer.disconnect()
      const stored = await readAll(b, 'idem')
      assert.deepEqual(stored.map((r) => r.value), Array.from({ length: 100 }, (_, i) => `idem-${i}`))
      const batches = await storedBatches(b, 'idem', 0)
      assert.equal(batches.length, 5)
      assert.equal(new Set(batches.map((x) => x.producerId)).size, 1, 'one producer id for every batch')
      assert.ok((batches[0]?.producerId ?? -1n) >= 0n)
    }))

  it('commits one transaction and aborts another; read_committed sees only the committed one', () =>
    withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'txn', partitions: 2 }])
      const k = kafka(b)
      const producer = k.producer({ transactionalId: 'kafkajs-txn', idempotent: true, maxInFlightRequests: 1 })
      await producer.connect()
      const committed = await producer.transaction()
      await committed.send({ topic: 'txn', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `committed-${i}` })) })
      await committed.commit()
      const aborted = await producer.transaction()
      await aborted.send({ topic: 'txn', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `aborted-${i}` })) })
      await aborted.abort()
      await producer.disconnect()
      // A plain record after both, on each partition, marks the end of what there is to read.
      const plain = k.producer()
      await plain.connect()
      await plain.send({ topic: 'txn', messages: [0, 1].map((partition) => ({ partition, value: `end-${partition}` })) })
      await plain.disconnect()

      const consumer = k.consumer({ groupId: 'kafkajs-txn-reader', readUncommitted: false, ...GROUP })
      await consumer.connect()
      await consumer.subscribe({ topics: ['txn'], fromBeginning: true })
      const seen: Seen[] = []
      await collect(consumer, seen)
      await waitFor('both end markers', () => seen.filter((s) => s.value.startsWith('end-')).length === 2)
      await consumer.disconnect()
      const values = seen.map((s) => s.value)
      assert.deepEqual(values.filter((v) => v.startsWith('committed-')).sort(), Array.from({ length: 10 }, (_, i) => `committed-${i}`).sort())
      assert.deepEqual(values.filter((v) => v.startsWith('aborted-')), [], 'no aborted record is visible')
      // The aborted records are in the log (read_uncommitted would see them), with control markers.
      const raw = await readAll(b, 'txn')
      assert.equal(raw.filter((r) => r.value?.startsWith('aborted-') === true).length, 10)
      const markers = [...(await storedBatches(b, 'txn', 0)), ...(await storedBatches(b, 'txn', 1))].filter((x) => x.control)
      assert.ok(markers.length >= 2, 'commit and abort markers were written')
    }))
})
