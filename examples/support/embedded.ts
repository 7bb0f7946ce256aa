/**
 * @module What the examples share to run on their own: an embedded broker in a temporary data
 * directory (removed afterwards), topic creation, and reading a topic back to its current end.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { openEmbedded } from '../../src/client/embedded/index.ts'
import { type Client, type ConsumerRecord, type NewTopic } from '../../src/client/types.ts'

/** Runs `fn` with a client of a fresh embedded broker; everything is closed and deleted after. */
export async function withTempBroker<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-example-'))
  const { broker, client } = await openEmbedded({ dataDir })
  try {
    return await fn(client)
  } finally {
    await client.close().catch(() => undefined)
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

export async function createTopics(client: Client, topics: readonly NewTopic[]): Promise<void> {
  const admin = client.admin()
  try {
    await admin.createTopics(topics)
  } finally {
    await admin.close()
  }
}

/** Every record of `topic` up to its end offsets at the call, per partition in offset order. */
export async function readTopic(client: Client, topic: string): Promise<ConsumerRecord[]> {
  const admin = client.admin()
  const ends = new Map<number, number>()
  try {
    for (const o of await admin.listOffsets(topic, 'latest')) ends.set(o.partition, o.offset)
  } finally {
    await admin.close()
  }
  const consumer = client.consumer()
  const out: ConsumerRecord[] = []
  try {
    const partitions = [...ends.keys()].map((partition) => ({ topic, partition }))
    await consumer.assign(partitions)
    for (const tp of partitions) await consumer.seek(tp, 'earliest')
    const done = (): boolean => partitions.every((tp) => consumer.position(tp) >= (ends.get(tp.partition) ?? 0))
    if (done()) return out
    const ac = new AbortController()
    for await (const batch of consumer.batches({ signal: ac.signal })) {
      const end = ends.get(batch.partition) ?? 0
      for (const r of batch.records) if (r.offset < end) out.push(r)
      if (done()) ac.abort()
    }
  } finally {
    await consumer.close()
  }
  return out
}

/** The JSON values of a topic's records (tombstones skipped). */
export async function readJson<T>(client: Client, topic: string): Promise<T[]> {
  const out: T[] = []
  for (const r of await readTopic(client, topic)) if (r.value !== null) out.push(JSON.parse(r.value.toString('utf8')) as T)
  return out
}

/**
 * Writes `items` as JSON records keyed by `key`, in order (sends of `chunk` records). Record
 * timestamps stay the produce time: event time is read from the value by the pipelines.
 */
export async function produceJson<T>(client: Client, topic: string, items: readonly T[], key: (item: T) => string, chunk = 500): Promise<void> {
  const producer = client.producer()
  try {
    for (let i = 0; i < items.length; i += chunk) {
      await producer.send(items.slice(i, i + chunk).map((item) => ({ topic, key: key(item), value: JSON.stringify(item) })))
    }
  } finally {
    await producer.close()
  }
}

/** A topic read as a table: the last JSON value per key, keys whose last record is a tombstone dropped. */
export async function readTable<T>(client: Client, topic: string): Promise<Map<string, T>> {
  const out = new Map<string, T>()
  for (const r of await readTopic(client, topic)) {
    const key = r.key?.toString('utf8') ?? ''
    if (r.value === null) out.delete(key)
    else out.set(key, JSON.parse(r.value.toString('utf8')) as T)
  }
  return out
}
