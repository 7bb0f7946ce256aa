/** @module Contract cases: producing and consuming records, partitioning, seeking, pausing. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { partitionForKey } from '../../util/murmur2.ts'
import { type CompressionType, type ConsumerRecord } from '../types.ts'
import { type ContractSetup, WAIT_LIMIT_MS, consumeN, createTopic, expectCode, text, withClient } from './harness.ts'

export function produceConsumeCases(setup: ContractSetup): void {
  it('round-trips keys, values, null values, headers and timestamps', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'roundtrip')
      const ts = Date.now() - 60_000
      const producer = client.producer()
      const meta = await producer.send([
        { topic, key: 'k1', value: 'v1', headers: [{ key: 'h', value: 'x' }, { key: 'n', value: null }], timestamp: ts },
        { topic, key: Buffer.from([0, 1, 2, 255]), value: null, timestamp: ts + 1 },
        { topic, value: Buffer.alloc(0), timestamp: ts + 2 },
        { topic, key: null, value: 'üñí ✓', timestamp: ts + 3 },
      ])
      assert.deepEqual(meta.map((m) => [m.topic, m.partition, m.baseOffset, m.lastOffset]), [[topic, 0, 0, 3]])
      const consumer = client.consumer({ autoOffsetReset: 'earliest' })
      await consumer.assign([{ topic, partition: 0 }])
      const records = await consumeN(consumer, 4)
      assert.deepEqual(
        records.map((r) => [r.topic, r.partition, r.offset, r.timestamp]),
        [0, 1, 2, 3].map((i) => [topic, 0, i, ts + i]),
      )
      const [a, b, c, d] = records as [ConsumerRecord, ConsumerRecord, ConsumerRecord, ConsumerRecord]
      assert.equal(text(a.key), 'k1')
      assert.equal(text(a.value), 'v1')
      assert.deepEqual(a.headers.map((h) => [h.key, text(h.value)]), [['h', 'x'], ['n', null]])
      assert.deepEqual(b.key, Buffer.from([0, 1, 2, 255]))
      assert.equal(b.value, null)
      assert.deepEqual(b.headers, [])
      assert.equal(c.key, null)
      assert.equal(c.value?.length, 0)
      assert.equal(text(d.value), 'üñí ✓')
      await consumer.close()
      await producer.close()
    }))

  it('round-trips every compression codec', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'codecs')
      const codecs: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
      for (const compression of codecs) {
        const producer = client.producer({ compression })
        const records = Array.from({ length: 100 }, (_, i) => ({ topic, key: `${compression}-${i}`, value: `${compression} value ${i} `.repeat(5) }))
        await producer.send(records)
        await producer.close()
      }
      const consumer = client.consumer({ autoOffsetReset: 'earliest' })
      await consumer.assign([{ topic, partition: 0 }])
      const got = await consumeN(consumer, 500)
      assert.deepEqual(got.map((r) => r.offset), Array.from({ length: 500 }, (_, i) => i))
      for (const [c, compression] of codecs.entries()) {
        for (let i = 0; i < 100; i++) {
          const r = got[c * 100 + i] as ConsumerRecord
          assert.equal(text(r.key), `${compression}-${i}`)
          assert.equal(text(r.value), `${compression} value ${i} `.repeat(5))
        }
      }
      await consumer.close()
    }))

  it('maps keys to partitions with murmur2, as Kafka does, keeping per-key order', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'keys', 5)
      const producer = client.producer()
      const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`)
      const meta = await producer.send(keys.flatMap((key) => [0, 1].map((n) => ({ topic, key, value: `${key}#${n}` }))))
      assert.equal(meta.reduce((n, m) => n + m.lastOffset - m.baseOffset + 1, 0), 80)
      assert.equal(new Set(meta.map((m) => m.partition)).size, meta.length, 'one batch per partition')
      const consumer = client.consumer({ autoOffsetReset: 'earliest' })
      await consumer.assign([0, 1, 2, 3, 4].map((partition) => ({ topic, partition })))
      const got = await consumeN(consumer, 80)
      for (const r of got) assert.equal(r.partition, partitionForKey(r.key as Buffer, 5), `key ${text(r.key)}`)
      for (const key of keys) {
        const mine = got.filter((r) => text(r.key) === key).sort((x, y) => x.offset - y.offset)
        assert.deepEqual(mine.map((r) => text(r.value)), [`${key}#0`, `${key}#1`])
      }
      await consumer.close()
    }))

  it('puts a keyless send on one partition (sticky) or deals it over all partitions (round-robin)', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'keyless', 3)
      const sticky = client.producer()
      const one = await sticky.send(Array.from({ length: 10 }, (_, i) => ({ topic, value: `s${i}` })))
      assert.equal(one.length, 1)
      assert.equal((one[0]?.lastOffset ?? 0) - (one[0]?.baseOffset ?? 0), 9)
      const rr = client.producer({ keylessPartitioner: 'round-robin' })
      const spread = await rr.send(Array.from({ length: 9 }, (_, i) => ({ topic, value: `r${i}` })))
      assert.deepEqual(spread.map((m) => m.partition).sort(), [0, 1, 2])
      for (const m of spread) assert.equal(m.lastOffset - m.baseOffset + 1, 3)
      const explicit = await rr.send([{ topic, partition: 2, value: 'e' }])
      assert.equal(explicit[0]?.partition, 2)
    }))

  it('assigns and seeks to earliest, latest, an offset and a timestamp', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'seek')
      const tp = { topic, partition: 0 }
      const base = Date.now() - 3_600_000
      const producer = client.producer()
      // One send per record: timestamp lookups resolve to record batches.
      for (let i = 0; i < 5; i++) await producer.send([{ topic, value: `v${i}`, timestamp: base + i * 1000 }])
      const consumer = client.consumer({ autoOffsetReset: 'latest' })
      await consumer.assign([tp])
      assert.equal(consumer.position(tp), 5, 'latest by default')
      await consumer.seek(tp, 'earliest')
      assert.equal(consumer.position(tp), 0)
      assert.deepEqual((await consumeN(consumer, 5)).map((r) => text(r.value)), ['v0', 'v1', 'v2', 'v3', 'v4'])
      assert.equal(consumer.position(tp), 5)
      await consumer.seek(tp, 2)
      assert.deepEqual((await consumeN(consumer, 3)).map((r) => r.offset), [2, 3, 4])
      await consumer.seek(tp, { timestamp: base + 2500 })
      assert.equal(consumer.position(tp), 3)
      assert.equal((await consumeN(consumer, 1))[0]?.timestamp, base + 3000)
      await consumer.seek(tp, { timestamp: base + 10_000_000 })
      assert.equal(consumer.position(tp), 5, 'a timestamp after every record seeks to the end')
      await consumer.seek(tp, 'earliest')
      await consumer.seek(tp, 'latest')
      assert.equal(consumer.position(tp), 5)
      await consumer.close()
    }))

  it('advances the position as batches are yielded', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'position')
      const producer = client.producer()
      await producer.send([{ topic, value: 'a' }, { topic, value: 'b' }])
      await producer.send([{ topic, value: 'c' }])
      const consumer = client.consumer({ autoOffsetReset: 'earliest' })
      await consumer.assign([{ topic, partition: 0 }])
      let seen = 0
      for await (const batch of consumer.batches({ signal: AbortSignal.timeout(WAIT_LIMIT_MS) })) {
        const last = batch.records.at(-1) as ConsumerRecord
        assert.equal(batch.nextOffset, last.offset + 1)
        assert.equal(consumer.position({ topic, partition: 0 }), batch.nextOffset)
        assert.ok(batch.highWatermark >= batch.nextOffset)
        seen += batch.records.length
        if (seen >= 3) break
      }
      assert.equal(seen, 3)
      await consumer.close()
    }))

  it('resets an out-of-range position per autoOffsetReset', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'reset')
      const tp = { topic, partition: 0 }
      await client.producer().send([{ topic, value: 'a' }, { topic, value: 'b' }, { topic, value: 'c' }])
      const earliest = client.consumer({ autoOffsetReset: 'earliest' })
      await earliest.assign([tp])
      await earliest.seek(tp, 1000)
      assert.deepEqual((await consumeN(earliest, 3)).map((r) => r.offset), [0, 1, 2])
      const strict = client.consumer({ autoOffsetReset: 'none' })
      await strict.assign([tp])
      await strict.seek(tp, 1000)
      await expectCode(async () => {
        for await (const _ of strict.batches({ signal: AbortSignal.timeout(WAIT_LIMIT_MS) })) assert.fail('no batch expected')
      }, 'OFFSET_OUT_OF_RANGE')
    }))

  it('pauses and resumes partitions', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'pause', 2)
      const p0 = { topic, partition: 0 }
      const p1 = { topic, partition: 1 }
      const consumer = client.consumer({ autoOffsetReset: 'earliest' })
      await consumer.assign([p0, p1])
      consumer.pause([p0])
      assert.deepEqual(consumer.paused(), [p0])
      const producer = client.producer()
      await producer.send([{ topic, partition: 0, value: 'zero-a' }, { topic, partition: 0, value: 'zero-b' }])
      await producer.send([{ topic, partition: 1, value: 'one-a' }])
      const first = await consumeN(consumer, 1)
      assert.deepEqual(first.map((r) => [r.partition, text(r.value)]), [[1, 'one-a']])
      // Partition 0's records were written first: a consumer ignoring pause would have read them by now.
      await producer.send([{ topic, partition: 1, value: 'one-b' }])
      const second = await consumeN(consumer, 1)
      assert.deepEqual(second.map((r) => [r.partition, text(r.value)]), [[1, 'one-b']])
      consumer.resume([p0])
      assert.deepEqual(consumer.paused(), [])
      const resumed = await consumeN(consumer, 2)
      assert.deepEqual(resumed.map((r) => [r.partition, text(r.value)]), [[0, 'zero-a'], [0, 'zero-b']])
      await consumer.close()
    }))

  it('stops iterating when the signal aborts and when the consumer closes', () =>
    withClient(setup, async (client) => {
      const topic = await createTopic(client, 'stop')
      const a = client.consumer()
      await a.assign([{ topic, partition: 0 }])
      const abort = new AbortController()
      const readA = (async () => {
        for await (const _ of a.batches({ signal: abort.signal })) assert.fail('no batch expected')
        return 'ended'
      })()
      abort.abort()
      assert.equal(await readA, 'ended')
      const b = client.consumer()
      await b.assign([{ topic, partition: 0 }])
      const readB = (async () => {
        for await (const _ of b.batches()) assert.fail('no batch expected')
        return 'ended'
      })()
      await b.close()
      assert.equal(await readB, 'ended')
      await a.close()
    }))
}
