/**
 * @module Throughput over the Kafka protocol against the broker child process: produce then consume
 * `records` records of `recordBytes` bytes on one partition, with Tributary's Kafka client (built on
 * @platformatic/kafka) and with kcat (librdkafka). Broker CPU is read from the child's /proc stat,
 * client CPU from this process (in-process client) or from finished children (kcat).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { once } from 'node:events'
import { createKafkaClient } from '../../src/client/kafka/index.ts'
import { type ProducerRecord } from '../../src/client/types.ts'
import { type BenchResult, timed } from '../broker/report.ts'
import { finishedChildrenCpuSeconds, processCpuSeconds, selfCpuSeconds } from './cpu.ts'

export interface CpuResult extends BenchResult {
  /** Broker CPU seconds during the phase (undefined when not measured). */
  brokerCpu?: number
  clientCpu?: number
}

export const TRIBUTARY_DURABILITY = 'fsync before ack (default), group commit'

export interface Target {
  bootstrap: string
  brokerPid: number
}

/** Runs `fn`, returning wall seconds and the CPU both sides used. */
async function measured(target: Target, clientCpu: () => number, fn: () => Promise<void>): Promise<{ seconds: number; brokerCpu: number; clientCpu: number }> {
  const broker0 = processCpuSeconds(target.brokerPid)
  const client0 = clientCpu()
  const seconds = await timed(fn)
  return { seconds, brokerCpu: processCpuSeconds(target.brokerPid) - broker0, clientCpu: clientCpu() - client0 }
}

async function createTopic(target: Target, topic: string): Promise<void> {
  const client = createKafkaClient({ bootstrap: [target.bootstrap], clientId: 'bench-admin' })
  try {
    await client.admin().createTopics([{ name: topic, partitions: 1 }])
  } finally {
    await client.close()
  }
}

async function endOffset(target: Target, topic: string): Promise<number> {
  const client = createKafkaClient({ bootstrap: [target.bootstrap], clientId: 'bench-admin' })
  try {
    return (await client.admin().listOffsets(topic, 'latest'))[0]?.offset ?? 0
  } finally {
    await client.close()
  }
}

/** Tributary's Kafka client: sends of `batch` records with up to 8 in flight, then a read from the start. */
export async function benchKafkaClient(target: Target, records: number, recordBytes: number, batch: number): Promise<CpuResult[]> {
  const topic = `bench-client-${process.pid}`
  await createTopic(target, topic)
  const client = createKafkaClient({ bootstrap: [target.bootstrap], clientId: 'bench' })
  const system = 'Tributary, Kafka protocol: @platformatic/kafka (Tributary Kafka client)'
  try {
    const producer = client.producer({ acks: -1 })
    const value = Buffer.alloc(recordBytes, 120)
    const full: ProducerRecord[] = Array.from({ length: batch }, () => ({ topic, partition: 0, value }))
    const produce = await measured(target, selfCpuSeconds, async () => {
      const inflight: Promise<unknown>[] = []
      for (let sent = 0; sent < records; sent += batch) {
        const n = Math.min(batch, records - sent)
        inflight.push(producer.send(n === batch ? full : full.slice(0, n)))
        if (inflight.length >= 8) await inflight.shift()
      }
      await Promise.all(inflight)
    })
    await producer.close()
    assert.equal(await endOffset(target, topic), records, 'every record stored')
    const consumer = client.consumer({ autoOffsetReset: 'earliest', maxBytes: 16 * 1024 * 1024, maxPartitionBytes: 8 * 1024 * 1024 })
    await consumer.assign([{ topic, partition: 0 }])
    let read = 0
    const consume = await measured(target, selfCpuSeconds, async () => {
      for await (const b of consumer.batches({ signal: AbortSignal.timeout(600_000) })) {
        read += b.records.length
        if (read >= records) break
      }
    })
    await consumer.close()
    assert.equal(read, records, 'every record read')
    const bytes = records * recordBytes
    return [
      { system, phase: 'produce', records, bytes, seconds: produce.seconds, durability: TRIBUTARY_DURABILITY, brokerCpu: produce.brokerCpu, clientCpu: produce.clientCpu },
      { system, phase: 'consume', records, bytes, seconds: consume.seconds, durability: TRIBUTARY_DURABILITY, brokerCpu: consume.brokerCpu, clientCpu: consume.clientCpu },
    ]
  } finally {
    await client.close()
  }
}

/** Writes `records` lines of `recordBytes` bytes each for kcat -l. */
async function writeRecordFile(file: string, records: number, recordBytes: number): Promise<void> {
  const out = createWriteStream(file)
  const chunkRecords = 10_000
  const chunk = Buffer.from(`${'x'.repeat(recordBytes)}\n`.repeat(chunkRecords))
  for (let written = 0; written < records; written += chunkRecords) {
    const n = Math.min(chunkRecords, records - written)
    if (!out.write(n === chunkRecords ? chunk : chunk.subarray(0, n * (recordBytes + 1)))) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

/** Runs kcat to completion; returns its stdout byte count (kcat's own output is discarded). */
function kcat(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', [...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let bytes = 0
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (bytes += d.length))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`))))
  })
}

/** kcat -P from a file with large batches, then kcat -C from the beginning to the end (one byte per record out). */
export async function benchKcat(target: Target, records: number, recordBytes: number, file: string): Promise<CpuResult[]> {
  const topic = `bench-kcat-${process.pid}`
  await createTopic(target, topic)
  await writeRecordFile(file, records, recordBytes)
  const system = 'Tributary, Kafka protocol: kcat (librdkafka)'
  const common = ['-b', target.bootstrap, '-t', topic, '-q']
  const produce = await measured(target, finishedChildrenCpuSeconds, async () => {
    await kcat([
      '-P', ...common, '-l', file,
      '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'batch.size=1000000',
      '-X', 'queue.buffering.max.messages=2000000', '-X', 'queue.buffering.max.kbytes=2097151',
    ])
  })
  assert.equal(await endOffset(target, topic), records, 'every record stored')
  let printed = 0
  const consume = await measured(target, finishedChildrenCpuSeconds, async () => {
    printed = await kcat(['-C', ...common, '-o', 'beginning', '-e', '-f', '\\n', '-X', 'fetch.wait.max.ms=50', '-X', 'fetch.max.bytes=16777216', '-X', 'max.partition.fetch.bytes=8388608'])
  })
  assert.equal(printed, records, 'kcat printed one line per record')
  // Removed at once: left behind, its ~500 MB of dirty pages would be written back ~30 s later, in
  // the middle of the latency runs, and stall their fsyncs.
  await rm(file, { force: true })
  const bytes = records * recordBytes
  return [
    { system, phase: 'produce', records, bytes, seconds: produce.seconds, durability: TRIBUTARY_DURABILITY, brokerCpu: produce.brokerCpu, clientCpu: produce.clientCpu },
    { system, phase: 'consume', records, bytes, seconds: consume.seconds, durability: TRIBUTARY_DURABILITY, brokerCpu: consume.brokerCpu, clientCpu: consume.clientCpu },
  ]
}
