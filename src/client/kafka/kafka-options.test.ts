import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { Broker } from '../../broker/broker.ts'
import { startKafkaServer } from '../../broker/server/server.ts'
import { Producer as LibraryProducer, stringSerializers } from '@platformatic/kafka'
import { type Client, type ConsumerRecord } from '../types.ts'
import { createKafkaClient } from './index.ts'

async function withKafka(fn: (client: Client, broker: Broker, bootstrap: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-kafka-producer-'))
  const broker = await Broker.open({ dataDir })
  const server = await startKafkaServer(broker, { listen: '127.0.0.1:0' })
  const bootstrap = `127.0.0.1:${server.address.port}`
  const client = createKafkaClient({ bootstrap: [bootstrap] })
  try {
    await fn(client, broker, bootstrap)
  } finally {
    await client.close()
    await server.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

/** Producer ids of the stored batches of a partition (RecordBatch header: batchLength @8, producerId @43). */
async function producerIds(broker: Broker, topic: string): Promise<bigint[]> {
  const [r] = await broker.fetch([{ topic, partition: 0, offset: 0, maxBytes: 1 << 20 }], { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20 })
  const bytes = r?.records ?? Buffer.alloc(0)
  const out: bigint[] = []
  for (let pos = 0; pos + 61 <= bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) out.push(bytes.readBigInt64BE(pos + 43))
  return out
}

describe('kafka client: options beyond the contract', () => {
  it('writes idempotent batches (one producer id, sequences accepted) when idempotent is set', () =>
    withKafka(async (client, broker) => {
      await client.admin().createTopics([{ name: 'idem', partitions: 1 }])
      const producer = client.producer({ idempotent: true })
      const offsets = []
      for (let i = 0; i < 4; i++) offsets.push(...(await producer.send(Array.from({ length: 5 }, (_, j) => ({ topic: 'idem', value: `v${i * 5 + j}` })))))
      await producer.close()
      assert.deepEqual(offsets.map((m) => [m.baseOffset, m.lastOffset]), [[0, 4], [5, 9], [10, 14], [15, 19]])
      const ids = await producerIds(broker, 'idem')
      assert.equal(ids.length, 4)
      assert.equal(new Set(ids).size, 1)
      assert.ok((ids[0] ?? -1n) >= 0n)
      const plain = client.producer()
      await plain.send([{ topic: 'idem', value: 'plain' }])
      assert.equal((await producerIds(broker, 'idem')).at(-1), -1n, 'a plain producer writes no producer id')
    }))

  it('does not wait for acknowledgements with acks 0 (offsets unknown), and the records arrive', () =>
    withKafka(async (client) => {
      await client.admin().createTopics([{ name: 'fire', partitions: 1 }])
      const producer = client.producer({ acks: 0 })
      const meta = await producer.send([{ topic: 'fire', value: 'a' }, { topic: 'fire', value: 'b' }])
      assert.deepEqual(meta.map((m) => [m.partition, m.baseOffset, m.lastOffset]), [[0, -1, -1]])
      const admin = client.admin()
      const deadline = Date.now() + 10_000
      while ((await admin.listOffsets('fire', 'latest'))[0]?.offset !== 2) {
        assert.ok(Date.now() < deadline, 'the acks=0 records were stored')
        await new Promise((r) => setTimeout(r, 20))
      }
    }))

  it('skips aborted transactions and control records with isolationLevel read_committed', () =>
    withKafka(async (client, _broker, bootstrap) => {
      await client.admin().createTopics([{ name: 'txn', partitions: 1 }])
      const txn = new LibraryProducer({ clientId: 'txn', bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true, transactionalId: 'options-txn' })
      for (const [outcome, n] of [['commit', 3], ['abort', 4], ['commit', 2]] as const) {
        const t = await txn.beginTransaction()
        await t.send({ messages: Array.from({ length: n }, (_, i) => ({ topic: 'txn', partition: 0, value: `${outcome}-${n}-${i}` })) })
        if (outcome === 'commit') await t.commit()
        else await t.abort()
      }
      await txn.close()
      await client.producer().send([{ topic: 'txn', value: 'end' }])
      const read = async (isolationLevel: 'read_committed' | 'read_uncommitted'): Promise<(string | undefined)[]> => {
        const consumer = client.consumer({ autoOffsetReset: 'earliest', isolationLevel })
        await consumer.assign([{ topic: 'txn', partition: 0 }])
        const got: ConsumerRecord[] = []
        for await (const b of consumer.batches({ signal: AbortSignal.timeout(20_000) })) {
          got.push(...b.records)
          if (got.some((r) => r.value?.toString() === 'end')) break
        }
        await consumer.close()
        return got.map((r) => r.value?.toString())
      }
      assert.deepEqual(await read('read_committed'), ['commit-3-0', 'commit-3-1', 'commit-3-2', 'commit-2-0', 'commit-2-1', 'end'])
      const all = await read('read_uncommitted')
      assert.equal(all.filter((v) => v?.startsWith('abort-')).length, 4, 'the aborted records are in the log')
      assert.equal(all.length, 10, 'control records are never handed out')
    }))
})

describe('kafka client: broker restarts', () => {
  it('a group consumer and a producer carry on across a restart of the broker on the same port', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-kafka-restart-'))
    let broker = await Broker.open({ dataDir })
    let server = await startKafkaServer(broker, { listen: '127.0.0.1:0' })
    const port = server.address.port
    const client = createKafkaClient({ bootstrap: [`127.0.0.1:${port}`] })
    try {
      await client.admin().createTopics([{ name: 'steady', partitions: 2 }])
      const producer = client.producer()
      const consumer = client.consumer({ groupId: 'steady', autoOffsetReset: 'earliest', autoCommit: true, autoCommitIntervalMs: 100, heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000 })
      await consumer.subscribe(['steady'])
      const seen: string[] = []
      const stop = new AbortController()
      const reading = (async () => {
        for await (const b of consumer.batches({ signal: stop.signal })) for (const r of b.records) seen.push(r.value?.toString() ?? '')
      })()
      await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: 'steady', key: `k${i}`, value: `before-${i}` })))
      const until = async (what: string, ok: () => boolean): Promise<void> => {
        const deadline = Date.now() + 20_000
        while (!ok()) {
          assert.ok(Date.now() < deadline, `timed out waiting for ${what}`)
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      await until('the first records', () => seen.length >= 10)

      await server.close()
      await broker.close()
      broker = await Broker.open({ dataDir })
      server = await startKafkaServer(broker, { listen: `127.0.0.1:${port}` })

      await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: 'steady', key: `k${i}`, value: `after-${i}` })))
      await until('the records sent after the restart', () => seen.filter((v) => v.startsWith('after-')).length >= 10)
      stop.abort()
      await reading
      await consumer.close()
      assert.deepEqual([...seen].sort(), [...Array.from({ length: 10 }, (_, i) => `after-${i}`), ...Array.from({ length: 10 }, (_, i) => `before-${i}`)].sort())
    } finally {
      await client.close()
      await server.close()
      await broker.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('kafka client: closing during a rebalance', () => {
  it('a consumer closed while the coordinator holds its JoinGroup stops waiting for the rebalance', () =>
    withKafka(async (client) => {
      await client.admin().createTopics([{ name: 'held', partitions: 2 }])
      let revoking = false
      let release: () => void = () => undefined
      const released = new Promise<void>((resolve) => (release = resolve))
      const slow = { heartbeatIntervalMs: 100, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000 }
      // The first member cannot finish revoking, so the rebalance the second one starts stays open.
      const c1 = client.consumer({
        ...slow,
        groupId: 'held',
        rebalanceListener: {
          onPartitionsRevoked: async () => {
            revoking = true
            await released
          },
        },
      })
      await c1.subscribe(['held'])
      const c2 = client.consumer({ ...slow, groupId: 'held' })
      const joining = c2.subscribe(['held'])
      const admin = client.admin()
      const deadline = Date.now() + 20_000
      while (!revoking || (await admin.describeGroup('held')).state !== 'PreparingRebalance') {
        assert.ok(Date.now() < deadline, 'the rebalance started')
        await new Promise((r) => setTimeout(r, 20))
      }
      await c2.close()
      await joining
      let releasedYet = false
      void released.then(() => (releasedYet = true))
      assert.equal(releasedYet, false, 'c2 closed while the rebalance was still held open by c1')
      release()
      await c1.close()
    }))
})
