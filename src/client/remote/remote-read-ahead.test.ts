// The remote iterator reads a batch ahead: what the caller sees must not show it. Small fetches
// (one stored batch each) so a batch is always read ahead while the caller holds the previous one.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { MessageChannel } from 'node:worker_threads'
import { openEmbedded } from '../embedded/index.ts'
import { type Client, type Consumer, type ConsumerBatch } from '../types.ts'
import { serveClient } from './host.ts'
import { connectRemoteClient } from './remote-client.ts'

const tp = { topic: 'ahead', partition: 0 }

/** 10 stored batches of 10 records (offsets 0..99) behind a remote client. */
async function withRemote(fn: (client: Client) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-ahead-'))
  const { broker, client: embedded } = await openEmbedded({ dataDir })
  const { port1, port2 } = new MessageChannel()
  const host = serveClient(embedded, port1)
  const client = connectRemoteClient(port2)
  try {
    await embedded.admin().createTopics([{ name: 'ahead', partitions: 1 }])
    const producer = embedded.producer()
    for (let b = 0; b < 10; b++) await producer.send(Array.from({ length: 10 }, (_, i) => ({ ...tp, value: `v${b * 10 + i}` })))
    await fn(client)
  } finally {
    await client.close()
    await host.close()
    await embedded.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

function smallFetches(client: Client, groupId?: string): Consumer {
  return client.consumer({ maxPartitionBytes: 1, maxWaitMs: 50, autoOffsetReset: 'earliest', ...(groupId === undefined ? {} : { groupId }) })
}

/** The first batch of a fresh iteration, leaving the loop at once (a batch is being read ahead). */
async function firstBatch(consumer: Consumer): Promise<ConsumerBatch> {
  for await (const batch of consumer.batches({ signal: AbortSignal.timeout(5000) })) return batch
  throw new Error('no batch')
}

const offsets = (b: ConsumerBatch): number[] => b.records.map((r) => r.offset)

test('leaving the loop with a batch read ahead: the next iteration goes on right after what was handed out', () =>
  withRemote(async (client) => {
    const consumer = smallFetches(client)
    await consumer.assign([tp])
    const seen: number[] = []
    for (let i = 0; i < 10; i++) {
      const b = await firstBatch(consumer)
      seen.push(...offsets(b))
      assert.equal(consumer.position(tp), (seen.at(-1) as number) + 1)
    }
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i), 'every record once, in order')
  }))

test('a seek while a batch is read ahead: the next batch starts where the seek said', () =>
  withRemote(async (client) => {
    const consumer = smallFetches(client)
    await consumer.assign([tp])
    const got: number[][] = []
    for await (const batch of consumer.batches({ signal: AbortSignal.timeout(5000) })) {
      got.push(offsets(batch))
      if (got.length === 2) await consumer.seek(tp, 5)
      if (got.length === 4) break
    }
    assert.deepEqual(got[0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.deepEqual(got[1], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
    assert.deepEqual(got[2], [5, 6, 7, 8, 9], 'not the batch read ahead (20..29)')
    assert.deepEqual(got[3], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
  }))

test('a pause while a batch is read ahead: nothing of the partition comes until resume, then nothing is skipped', () =>
  withRemote(async (client) => {
    const consumer = smallFetches(client)
    await consumer.assign([tp])
    const seen: number[] = []
    let pausedOnce = false
    const stop = AbortSignal.timeout(5000)
    for await (const batch of consumer.batches({ signal: stop })) {
      assert.ok(consumer.paused().length === 0, 'a batch of a paused partition was handed out')
      seen.push(...offsets(batch))
      if (seen.length === 20 && !pausedOnce) {
        pausedOnce = true
        consumer.pause([tp])
        // Resumed a little later, while next() waits.
        setTimeout(() => consumer.resume([tp]), 100)
      }
      if (seen.length === 100) break
    }
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i))
  }))

test('commit() without offsets commits what was handed out, not what the host read ahead', () =>
  withRemote(async (client) => {
    const consumer = smallFetches(client, 'ahead-g')
    await consumer.assign([tp])
    for await (const batch of consumer.batches({ signal: AbortSignal.timeout(5000) })) {
      if (batch.nextOffset === 20) {
        await consumer.commit()
        break
      }
    }
    const [committed] = await consumer.committed([tp])
    assert.equal(committed?.offset, 20)
  }))

test('a rebalance the host runs while reading ahead reaches the listener only once the caller is done with its batch', () =>
  withRemote(async (client) => {
    const events: string[] = []
    const options = { groupId: 'ahead-r', maxPartitionBytes: 1, maxWaitMs: 50, heartbeatIntervalMs: 20, autoOffsetReset: 'earliest' as const }
    const c1 = client.consumer({ ...options, rebalanceListener: { onPartitionsRevoked: () => void events.push('revoked') } })
    await c1.subscribe(['ahead'])
    const c2 = client.consumer(options)
    let joining: Promise<void> | undefined
    let held = 0
    for await (const batch of c1.batches({ signal: AbortSignal.timeout(10_000) })) {
      if (events.includes('revoked')) break
      joining ??= c2.subscribe(['ahead'])
      assert.ok(batch.records.length > 0)
      // Long enough for the host to see the rebalance (heartbeats every 20 ms) in its read-ahead pull.
      const before = events.length
      await new Promise((resolve) => setTimeout(resolve, 150))
      assert.equal(events.length, before, 'the listener ran while the caller held a batch')
      held++
    }
    await joining
    assert.ok(held >= 1 && held < 20, `${held} batches before the revoke`)
    assert.ok(events.length >= 1, 'the revoke reached the listener')
    await c2.close()
    await c1.close()
  }))
