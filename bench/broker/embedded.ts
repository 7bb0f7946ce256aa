/**
 * @module The embedded broker in the broker benchmark: in-process produce and consume through the
 * public Client interface, one partition, records sent in batches of `batch` with a window of sends
 * in flight (as Redis pipelines and NATS async publishes are).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { openEmbedded } from '../../src/client/embedded/index.ts'
import type { ProducerRecord } from '../../src/client/types.ts'
import { type BenchResult, timed } from './report.ts'

export type EmbeddedFlush = 'fsync' | 'interval'

export async function benchEmbedded(
  records: number,
  recordBytes: number,
  batch: number,
  flush: EmbeddedFlush,
  dirBase = os.tmpdir(),
): Promise<BenchResult[]> {
  const dataDir = await mkdtemp(path.join(dirBase, 'tributary-bench-'))
  const { broker, client } = await openEmbedded({ dataDir })
  const topic = 'bench'
  const durability =
    flush === 'fsync' ? 'fsync before ack (group commit)' : 'flush interval 1000 ms (acked before fsync)'
  try {
    const admin = client.admin()
    const configs: Record<string, string> =
      flush === 'fsync' ? { 'flush.mode': 'fsync' } : { 'flush.mode': 'interval', 'flush.interval.ms': '1000' }
    await admin.createTopics([{ name: topic, partitions: 1, configs }])
    const producer = client.producer({ acks: -1 })
    const value = Buffer.alloc(recordBytes, 120)
    const records1k: ProducerRecord[] = []
    for (let i = 0; i < batch; i++) records1k.push({ topic, partition: 0, value })
    const produce = await timed(async () => {
      const inflight: Promise<unknown>[] = []
      for (let sent = 0; sent < records; sent += batch) {
        const n = Math.min(batch, records - sent)
        inflight.push(producer.send(n === batch ? records1k : records1k.slice(0, n)))
        if (inflight.length >= 8) await inflight.shift()
      }
      await Promise.all(inflight)
    })
    await producer.close()
    const consumer = client.consumer({ maxBytes: 8 * 1024 * 1024, maxPartitionBytes: 8 * 1024 * 1024 })
    await consumer.assign([{ topic, partition: 0 }])
    await consumer.seek({ topic, partition: 0 }, 'earliest')
    let read = 0
    const consume = await timed(async () => {
      const stop = new AbortController()
      for await (const b of consumer.batches({ signal: stop.signal })) {
        read += b.records.length
        if (read >= records) break
      }
    })
    await consumer.close()
    if (read !== records) throw new Error(`embedded: read ${read} of ${records}`)
    const system = `Tributary embedded (${flush})`
    return [
      { system, phase: 'produce', records, bytes: records * recordBytes, seconds: produce, durability },
      { system, phase: 'consume', records, bytes: records * recordBytes, seconds: consume, durability },
    ]
  } finally {
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}
