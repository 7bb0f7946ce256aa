// Embedded-only cases beyond the shared contract: the injected clock, the cooperative protocol, retention.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { it } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import { Broker } from '../../broker/broker.ts'
import { ManualClock } from '../../util/clock.ts'
import { consumeN, waitFor } from '../contract/harness.ts'
import { type Client } from '../types.ts'
import { createEmbeddedClient } from './index.ts'

async function withBroker(clock: ManualClock | undefined, fn: (client: Client, broker: Broker) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-membership-'))
  const broker = await Broker.open({ dataDir }, clock === undefined ? {} : { clock })
  const client = createEmbeddedClient(clock === undefined ? { broker } : { broker, clock })
  try {
    await fn(client, broker)
  } finally {
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

/** Advances the manual clock one heartbeat at a time, letting the event loop run in between. */
async function advance(clock: ManualClock, ms: number, step: number): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step)
    for (let i = 0; i < 5; i++) await tick()
  }
}

it('heartbeats on the injected clock keep a member alive and bring it back for a rebalance', () => {
  const clock = new ManualClock(Date.now())
  return withBroker(clock, async (client) => {
    await client.admin().createTopics([{ name: 'hb', partitions: 4 }])
    const options = { groupId: 'hb-group', sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 20_000 }
    const c1 = client.consumer(options)
    await c1.subscribe(['hb'])
    assert.equal(c1.assignment().length, 4)
    // Five session timeouts of clock time pass: only heartbeats on this clock keep the member in.
    await advance(clock, 30_000, 1000)
    const admin = client.admin()
    let group = await admin.describeGroup('hb-group')
    assert.equal(group.state, 'Stable')
    assert.equal(group.members.length, 1)

    // A second member's join completes only once c1 rejoins, which it learns from a heartbeat.
    const c2 = client.consumer(options)
    let joined = false
    const joining = c2.subscribe(['hb']).then(() => (joined = true))
    for (let i = 0; i < 20 && !joined; i++) await advance(clock, 1000, 1000)
    await joining
    await waitFor('c1 to finish its rejoin', () => c1.assignment().length === 2)
    assert.equal(c2.assignment().length, 2)
    group = await admin.describeGroup('hb-group')
    assert.equal(group.members.length, 2)
    await c2.close()
    await c1.close()
  })
})

it('cooperative-sticky members keep their partitions across a rebalance and revoke only what moves', () =>
  withBroker(undefined, async (client) => {
    await client.admin().createTopics([{ name: 'coop', partitions: 4 }])
    const events: string[] = []
    const make = (who: string): ReturnType<Client['consumer']> =>
      client.consumer({
        groupId: 'coop-group',
        assignors: ['cooperative-sticky'],
        heartbeatIntervalMs: 50,
        autoOffsetReset: 'earliest',
        rebalanceListener: {
          onPartitionsRevoked: (tps) => void events.push(`${who} revoked ${tps.map((tp) => tp.partition).join(',')}`),
          onPartitionsAssigned: (tps) => void events.push(`${who} assigned ${tps.map((tp) => tp.partition).join(',')}`),
        },
      })
    const c1 = make('c1')
    await c1.subscribe(['coop'])
    assert.deepEqual(events, ['c1 assigned 0,1,2,3'])
    await client.producer().send([0, 1, 2, 3].map((partition) => ({ topic: 'coop', partition, value: `p${partition}` })))
    assert.equal((await consumeN(c1, 4)).length, 4)
    const c2 = make('c2')
    await c2.subscribe(['coop'])
    await waitFor('the partitions to be split', () => c1.assignment().length === 2 && c2.assignment().length === 2)
    const c1Events = events.filter((e) => e.startsWith('c1'))
    // c1 gave up exactly the two partitions c2 now has, and never everything.
    const revoked = c1Events.filter((e) => e.includes('revoked'))
    assert.equal(revoked.length, 1, events.join('; '))
    assert.deepEqual(revoked[0]?.split(' ')[2]?.split(',').map(Number), c2.assignment().map((tp) => tp.partition).sort())
    assert.ok(!c1Events.includes('c1 revoked 0,1,2,3'))
    // Positions of kept partitions survived: nothing is read twice by c1 after new records.
    await client.producer().send([0, 1, 2, 3].map((partition) => ({ topic: 'coop', partition, value: `q${partition}` })))
    const mine = await consumeN(c1, 2)
    assert.deepEqual(mine.map((r) => r.value?.toString()).sort(), c1.assignment().map((tp) => `q${tp.partition}`).sort())
    await c2.close()
    await c1.close()
  }))

it('a position deleted by retention resets to the new log start (autoOffsetReset earliest)', () =>
  withBroker(undefined, async (client, broker) => {
    await client.admin().createTopics([{ name: 'short', partitions: 1, configs: { 'segment.bytes': '1024', 'retention.bytes': '1024' } }])
    const producer = client.producer()
    for (let i = 0; i < 40; i++) await producer.send([{ topic: 'short', value: `record ${i} `.repeat(10) }])
    await broker.runMaintenance()
    const [start] = await client.admin().listOffsets('short', 'earliest')
    assert.ok((start?.offset ?? 0) > 0, 'retention deleted the oldest segments')
    const consumer = client.consumer({ autoOffsetReset: 'earliest' })
    await consumer.assign([{ topic: 'short', partition: 0 }])
    await consumer.seek({ topic: 'short', partition: 0 }, 0)
    const [first] = await consumeN(consumer, 1)
    assert.equal(first?.offset, start?.offset)
    await consumer.close()
  }))
