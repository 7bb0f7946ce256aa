/**
 * Conformance with @platformatic/kafka used directly (its own Producer, Consumer/MessagesStream and
 * Admin), which speaks only the flexible versions of each API: produce and consume, a two-member
 * group rebalancing when one leaves, commits surviving a broker restart, the idempotent producer,
 * and transactions read back with read_committed.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  Admin,
  Consumer,
  type ConsumerOptions,
  FetchIsolationLevels,
  type Message,
  type MessagesStream,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka'
import { type RunningBroker, assertDeliveredAtLeastOnce, readAll, storedBatches, waitFor, withBroker } from './harness.ts'

type StringConsumer = Consumer<string, string, string, string>
type StringStream = MessagesStream<string, string, string, string>

function base(b: RunningBroker): { clientId: string; bootstrapBrokers: string[]; retries: number; retryDelay: number } {
  return { clientId: 'conformance-platformatic', bootstrapBrokers: [b.bootstrap], retries: 5, retryDelay: 100 }
}

function producer(b: RunningBroker, extra: { idempotent?: boolean; transactionalId?: string } = {}): Producer<string, string, string, string> {
  return new Producer({ ...base(b), serializers: stringSerializers, ...extra })
}

function consumer(b: RunningBroker, groupId: string, extra: Partial<ConsumerOptions<string, string, string, string>> = {}): StringConsumer {
  return new Consumer({
    ...base(b),
    groupId,
    deserializers: stringDeserializers,
    sessionTimeout: 6000,
    rebalanceTimeout: 6000,
    heartbeatInterval: 300,
    maxWaitTime: 200,
    ...extra,
  } as ConsumerOptions<string, string, string, string>)
}

interface Seen {
  partition: number
  offset: number
  value: string
}

/** Reads a stream in the background into `into`. */
function drain(stream: StringStream, into: Seen[]): Promise<void> {
  return (async () => {
    for await (const m of stream as AsyncIterable<Message<string, string, string, string>>) {
      into.push({ partition: m.partition, offset: Number(m.offset), value: m.value })
    }
  })()
}

describe('@platformatic/kafka (flexible versions)', () => {
  it('produces (plain and zstd) and consumes every record', () =>
    withBroker(async (b) => {
      const admin = new Admin(base(b))
      await admin.createTopics({ topics: ['orders'], partitions: 3, replicas: 1 })
      assert.ok((await admin.listTopics()).includes('orders'))
      await admin.close()
      const p = producer(b)
      const sent = Array.from({ length: 60 }, (_, i) => ({ topic: 'orders', key: `k${i % 7}`, value: `order-${i}`, headers: { n: String(i) } }))
      const result = await p.send({ messages: sent.slice(0, 30), acks: -1 })
      assert.ok((result.offsets ?? []).length > 0)
      await p.send({ messages: sent.slice(30), compression: 'zstd' })
      await p.close()
      const stored = await readAll(b, 'orders')
      assert.deepEqual(stored.map((r) => r.value).sort(), sent.map((m) => m.value).sort())

      const c = consumer(b, 'platformatic-reader')
      const stream = await c.consume({ topics: ['orders'], mode: MessagesStreamModes.EARLIEST, autocommit: true })
      const seen: Seen[] = []
      const done = drain(stream, seen)
      await waitFor('every record to arrive', () => seen.length >= 60)
      await stream.close()
      await done
      await c.close()
      assert.deepEqual(
        seen.map((s) => `${s.partition}/${s.offset}/${s.value}`).sort(),
        stored.map((r) => `${r.partition}/${r.offset}/${r.value}`).sort(),
      )
    }))

  it('shares partitions between two group members and gives them all to the one left', () =>
    withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'shared', partitions: 4 }])
      const assigned = new Map<string, number[]>()
      const members: { c: StringConsumer; seen: Seen[]; stream?: StringStream; done?: Promise<void> }[] = []
      for (const name of ['c1', 'c2']) {
        const c = consumer(b, 'platformatic-pair')
        c.on('consumer:group:join', (e) => assigned.set(name, (e.assignments ?? []).flatMap((a) => a.partitions).sort()))
        members.push({ c, seen: [] })
      }
      for (const m of members) {
        m.stream = await m.c.consume({ topics: ['shared'], mode: MessagesStreamModes.COMMITTED, fallbackMode: 'earliest', autocommit: 100 })
        m.done = drain(m.stream, m.seen)
      }
      const [m1, m2] = members as [(typeof members)[0], (typeof members)[0]]
      await waitFor('both members to hold partitions', () => {
        const a = assigned.get('c1') ?? []
        const c = assigned.get('c2') ?? []
        return a.length > 0 && c.length > 0 && a.length + c.length === 4
      })
      assert.deepEqual([...(assigned.get('c1') ?? []), ...(assigned.get('c2') ?? [])].sort(), [0, 1, 2, 3])
      const p = producer(b)
      await p.send({ messages: Array.from({ length: 40 }, (_, i) => ({ topic: 'shared', key: `k${i}`, value: `first-${i}` })) })
      await waitFor('the two members to read every record', () => m1.seen.length + m2.seen.length >= 40)

      await m2.stream?.close()
      await m2.done
      await m2.c.close()
      await waitFor('the remaining member to own every partition', () => (assigned.get('c1') ?? []).length === 4)
      await p.send({ messages: Array.from({ length: 20 }, (_, i) => ({ topic: 'shared', key: `k${i}`, value: `second-${i}` })) })
      await waitFor('the remaining member to read the new records', () => new Set(m1.seen.filter((s) => s.value.startsWith('second-')).map((s) => s.value)).size >= 20)
      await p.close()
      await m1.stream?.close()
      await m1.done
      await m1.c.close()
      const all = [...m1.seen, ...m2.seen]
      assertDeliveredAtLeastOnce(all, Array.from({ length: 40 }, (_, i) => `first-${i}`))
      assertDeliveredAtLeastOnce(all, Array.from({ length: 20 }, (_, i) => `second-${i}`))
    }))

  it('keeps committed offsets across a broker restart', () =>
    withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'durable', partitions: 2 }])
      let p = producer(b)
      await p.send({ messages: Array.from({ length: 10 }, (_, i) => ({ topic: 'durable', key: `k${i}`, value: `a${i}` })) })
      await p.close()
      const first = consumer(b, 'platformatic-durable')
      const stream = await first.consume({ topics: ['durable'], mode: MessagesStreamModes.COMMITTED, fallbackMode: 'earliest', autocommit: false })
      let read = 0
      for await (const m of stream as AsyncIterable<Message<string, string, string, string>>) {
        await m.commit()
        if (++read === 10) break
      }
      await stream.close()
      await first.close()
      const before = await b.admin.fetchGroupOffsets('platformatic-durable')
      assert.equal(before.reduce((n, o) => n + o.offset, 0), 10)

      await b.restart()
      assert.deepEqual(await b.admin.fetchGroupOffsets('platformatic-durable'), before, 'commits survive the restart')
      p = producer(b)
      await p.send({ messages: Array.from({ length: 5 }, (_, i) => ({ topic: 'durable', key: `k${i}`, value: `b${i}` })) })
      await p.close()
      const second = consumer(b, 'platformatic-durable')
      const again = await second.consume({ topics: ['durable'], mode: MessagesStreamModes.COMMITTED, fallbackMode: 'earliest', autocommit: true })
      const seen: Seen[] = []
      const done = drain(again, seen)
      await waitFor('the five new records', () => seen.length >= 5)
      await again.close()
      await done
      await second.close()
      assert.deepEqual(seen.map((s) => s.value).sort(), ['b0', 'b1', 'b2', 'b3', 'b4'])
    }))

  it('produces with the idempotent producer', () =>
    withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'idem', partitions: 1 }])
      const p = producer(b, { idempotent: true })
      for (let i = 0; i < 5; i++) await p.send({ messages: Array.from({ length: 20 }, (_, j) => ({ topic: 'idem', partition: 0, value: `idem-${i * 20 + j}` })) })
      assert.ok((p.producerId ?? -1n) >= 0n)
      await p.close()
      assert.deepEqual((await readAll(b, 'idem')).map((r) => r.value), Array.from({ length: 100 }, (_, i) => `idem-${i}`))
      const batches = await storedBatches(b, 'idem', 0)
      assert.equal(batches.length, 5)
      assert.deepEqual([...new Set(batches.map((x) => x.producerId))], [p.producerId])
    }))

  it('commits one transaction and aborts another; read_committed sees only the committed one', () =>
    withBroker(async (b) => {
      await b.admin.createTopics([{ name: 'txn', partitions: 2 }])
      const p = producer(b, { idempotent: true, transactionalId: 'platformatic-txn' })
      const committed = await p.beginTransaction()
      await committed.send({ messages: Array.from({ length: 10 }, (_, i) => ({ topic: 'txn', partition: i % 2, value: `committed-${i}` })) })
      await committed.commit()
      const aborted = await p.beginTransaction()
      await aborted.send({ messages: Array.from({ length: 10 }, (_, i) => ({ topic: 'txn', partition: i % 2, value: `aborted-${i}` })) })
      await aborted.abort()
      await p.close()
      const plain = producer(b)
      await plain.send({ messages: [0, 1].map((partition) => ({ topic: 'txn', partition, value: `end-${partition}` })) })
      await plain.close()

      const c = consumer(b, 'platformatic-txn-reader', { isolationLevel: FetchIsolationLevels.READ_COMMITTED })
      const stream = await c.consume({ topics: ['txn'], mode: MessagesStreamModes.EARLIEST, autocommit: false })
      const seen: Seen[] = []
      const done = drain(stream, seen)
      await waitFor('both end markers', () => seen.filter((s) => s.value.startsWith('end-')).length === 2)
      await stream.close()
      await done
      await c.close()
      const values = seen.map((s) => s.value)
      assert.deepEqual(values.filter((v) => v.startsWith('committed-')).sort(), Array.from({ length: 10 }, (_, i) => `committed-${i}`).sort())
      assert.deepEqual(values.filter((v) => v.startsWith('aborted-')), [], 'no aborted record is visible')
      const raw = await readAll(b, 'txn')
      assert.equal(raw.filter((r) => r.value?.startsWith('aborted-') === true).length, 10)
    }))
})
