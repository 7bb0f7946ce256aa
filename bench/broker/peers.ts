/**
 * @module Peer brokers for the broker benchmark, driven through their official Node clients on this
 * machine: Redis Streams (XADD pipelined, XREAD) and NATS JetStream (file storage, async publish,
 * pull consume). Each reports the durability it actually ran with.
 */
import { createClient } from 'redis'
import { connect } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, StorageType, AckPolicy, DeliverPolicy } from '@nats-io/jetstream'
import { type BenchResult, timed } from './report.ts'

export async function benchRedisStreams(records: number, recordBytes: number, batch: number): Promise<BenchResult[]> {
  const client = createClient({ url: 'redis://127.0.0.1:6379' })
  client.on('error', () => {})
  await client.connect()
  const key = `tributary-bench-${process.pid}`
  const payload = Buffer.alloc(recordBytes, 120)
  try {
    const cfg = (await client.configGet('appendonly')) as Record<string, string>
    const fsync = (await client.configGet('appendfsync')) as Record<string, string>
    const durability =
      cfg['appendonly'] === 'yes' ? `AOF on, appendfsync ${fsync['appendfsync']}` : 'no persistence (appendonly no, as this machine runs it)'
    await client.del(key)
    const produce = await timed(async () => {
      // Keep a few pipelines in flight, as a producer with a send window would.
      const inflight: Promise<unknown>[] = []
      for (let sent = 0; sent < records; sent += batch) {
        const multi = client.multi()
        const n = Math.min(batch, records - sent)
        for (let i = 0; i < n; i++) multi.xAdd(key, '*', { v: payload })
        inflight.push(multi.execAsPipeline())
        if (inflight.length >= 4) await inflight.shift()
      }
      await Promise.all(inflight)
    })
    let read = 0
    const consume = await timed(async () => {
      let id = '0'
      while (read < records) {
        const res = await client.xRead({ key, id }, { COUNT: 10_000 })
        const stream = Array.isArray(res) ? (res[0] as { messages: { id: string }[] } | undefined) : undefined
        if (stream === undefined || stream.messages.length === 0) break
        read += stream.messages.length
        id = (stream.messages[stream.messages.length - 1] as { id: string }).id
      }
    })
    if (read !== records) throw new Error(`redis: read ${read} of ${records}`)
    return [
      { system: 'Redis Streams (node-redis)', phase: 'produce', records, bytes: records * recordBytes, seconds: produce, durability },
      { system: 'Redis Streams (node-redis)', phase: 'consume', records, bytes: records * recordBytes, seconds: consume, durability },
    ]
  } finally {
    await client.del(key)
    await client.quit()
  }
}

export async function benchNatsJetStream(records: number, recordBytes: number, batch: number): Promise<BenchResult[]> {
  const nc = await connect({ servers: '127.0.0.1:4222' })
  const name = `TRIBUTARY_BENCH_${process.pid}`
  const subject = `tributary.bench.${process.pid}`
  const payload = Buffer.alloc(recordBytes, 120)
  try {
    const jsm = await jetstreamManager(nc)
    await jsm.streams.add({ name, subjects: [subject], storage: StorageType.File })
    const js = jetstream(nc)
    const durability = 'file storage, server default sync (fsync every 2 min, not per ack)'
    const produce = await timed(async () => {
      // A window of `batch` unacknowledged publishes, awaited together.
      for (let sent = 0; sent < records; sent += batch) {
        const n = Math.min(batch, records - sent)
        const acks: Promise<unknown>[] = new Array(n)
        for (let i = 0; i < n; i++) acks[i] = js.publish(subject, payload)
        await Promise.all(acks)
      }
    })
    await jsm.consumers.add(name, { durable_name: 'bench', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All })
    const consumer = await js.consumers.get(name, 'bench')
    let read = 0
    const consume = await timed(async () => {
      const messages = await consumer.consume({ max_messages: 10_000 })
      for await (const _m of messages) {
        if (++read >= records) break
      }
    })
    if (read !== records) throw new Error(`nats: read ${read} of ${records}`)
    return [
      { system: 'NATS JetStream (@nats-io/jetstream)', phase: 'produce', records, bytes: records * recordBytes, seconds: produce, durability },
      { system: 'NATS JetStream (@nats-io/jetstream)', phase: 'consume', records, bytes: records * recordBytes, seconds: consume, durability },
    ]
  } finally {
    try {
      const jsm = await jetstreamManager(nc)
      await jsm.streams.delete(name)
    } catch {
      // stream may not exist if setup failed
    }
    await nc.close()
  }
}
