/**
 * @module Produce-to-consume latency at a fixed rate: a paced producer sends what is due every few
 * milliseconds, stamping each record's value with its send time (performance.now(), as text at the
 * start of the value); a consumer in the same process records receive time minus send time. The
 * first second is warm-up and not counted. Same method for Tributary (Kafka protocol), Redis Streams
 * and NATS JetStream.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from '@nats-io/transport-node'
import { AckPolicy, DeliverPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream'
import { createClient } from 'redis'
import { createKafkaClient } from '../../src/client/kafka/index.ts'
import { processCpuSeconds } from './cpu.ts'
import { TRIBUTARY_DURABILITY, type Target } from './throughput.ts'

export interface LatencyResult {
  system: string
  rate: number
  /** Records per second actually sent (below `rate` when the system could not keep up). */
  achieved: number
  /** Records counted (after warm-up). */
  records: number
  p50: number
  p99: number
  max: number
  /** Broker CPU seconds per second of the run, when measured. */
  brokerCpuPerSecond?: number
  durability: string
}

const WARMUP_MS = 1000
/** Each run gets topics of its own (a run may be repeated in one process). */
let runCount = 0
const TICK_MS = 2
/** After the last send, how long to wait for the consumer to catch up before giving up. */
const DRAIN_MS = 30_000

function stampedValue(recordBytes: number): Buffer {
  return Buffer.from(performance.now().toFixed(3).padEnd(recordBytes, ' '))
}

function stampOf(value: Uint8Array | string): number {
  const text = typeof value === 'string' ? value.slice(0, 24) : Buffer.from(value.buffer, value.byteOffset, Math.min(24, value.length)).toString('latin1')
  return Number.parseFloat(text)
}

/** Collects latencies of records stamped after the warm-up. */
class Latencies {
  readonly #start: number
  #values: Float64Array
  #n = 0
  received = 0

  constructor(start: number, expected: number) {
    this.#start = start
    this.#values = new Float64Array(Math.max(1024, expected))
  }

  record(stamp: number, now: number): void {
    this.received++
    if (stamp < this.#start + WARMUP_MS) return
    if (this.#n === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2)
      bigger.set(this.#values)
      this.#values = bigger
    }
    this.#values[this.#n++] = now - stamp
  }

  summary(): { records: number; p50: number; p99: number; max: number } {
    const sorted = this.#values.subarray(0, this.#n).sort()
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
    return { records: this.#n, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN }
  }
}

/**
 * Calls `send(n)` with the number of records due at `rate` every TICK_MS for `seconds`; returns
 * how many were sent. Sends overlap (as a producer's would) and their errors end the run. At most
 * one second of records is left unacknowledged: a system that cannot keep up is throttled to what
 * it sustains (the achieved rate is reported) instead of queueing without bound.
 */
async function pace(rate: number, seconds: number, send: (n: number) => Promise<unknown>): Promise<number> {
  const start = performance.now()
  const maxBurst = Math.max(1, Math.ceil((rate * TICK_MS) / 1000) * 5)
  let sent = 0
  let unacked = 0
  const inflight = new Set<Promise<unknown>>()
  let failure: unknown
  for (;;) {
    if (failure !== undefined) throw failure
    const elapsed = performance.now() - start
    if (elapsed >= seconds * 1000) break
    const due = Math.min(maxBurst, Math.floor((rate * elapsed) / 1000) - sent)
    if (due > 0 && unacked + due <= rate) {
      unacked += due
      const p = send(due).then(
        () => {
          unacked -= due
        },
        (err: unknown) => {
          failure = err
        },
      )
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
      sent += due
    }
    await sleep(TICK_MS)
  }
  await Promise.all(inflight)
  if (failure !== undefined) throw failure
  return sent
}

async function drained(latencies: Latencies, sent: number): Promise<void> {
  const deadline = performance.now() + DRAIN_MS
  while (latencies.received < sent) {
    if (performance.now() > deadline) throw new Error(`consumer received ${latencies.received} of ${sent} records`)
    await sleep(10)
  }
}

export async function latencyTributary(target: Target, rate: number, seconds: number, recordBytes: number): Promise<LatencyResult> {
  const topic = `bench-latency-${process.pid}-${++runCount}`
  const client = createKafkaClient({ bootstrap: [target.bootstrap], clientId: 'bench-latency' })
  try {
    await client.admin().createTopics([{ name: topic, partitions: 1 }])
    const producer = client.producer({ acks: -1 })
    const consumer = client.consumer({ autoOffsetReset: 'latest', maxWaitMs: 100 })
    await consumer.assign([{ topic, partition: 0 }])
    const start = performance.now()
    const latencies = new Latencies(start, rate * seconds)
    const stop = new AbortController()
    const reading = (async () => {
      for await (const b of consumer.batches({ signal: stop.signal })) {
        const now = performance.now()
        for (const r of b.records) if (r.value !== null) latencies.record(stampOf(r.value), now)
      }
    })()
    const cpu0 = processCpuSeconds(target.brokerPid)
    const sent = await pace(rate, seconds, (n) => {
      const records = new Array(n)
      const value = stampedValue(recordBytes)
      for (let i = 0; i < n; i++) records[i] = { topic, partition: 0, value }
      return producer.send(records)
    })
    await drained(latencies, sent)
    const cpu = processCpuSeconds(target.brokerPid) - cpu0
    stop.abort()
    await reading
    await consumer.close()
    await producer.close()
    return { system: 'Tributary, Kafka protocol (Tributary Kafka client on @platformatic/kafka)', rate, achieved: sent / seconds, ...latencies.summary(), brokerCpuPerSecond: cpu / seconds, durability: TRIBUTARY_DURABILITY }
  } finally {
    await client.close()
  }
}

export async function latencyRedis(rate: number, seconds: number, recordBytes: number): Promise<LatencyResult> {
  const producer = createClient({ url: 'redis://127.0.0.1:6379' })
  producer.on('error', () => {})
  await producer.connect()
  // XREAD BLOCK holds its connection: the consumer has its own.
  const reader = producer.duplicate()
  reader.on('error', () => {})
  await reader.connect()
  const key = `tributary-latency-${process.pid}`
  try {
    await producer.del(key)
    const start = performance.now()
    const latencies = new Latencies(start, rate * seconds)
    let stopped = false
    const reading = (async () => {
      let id = '0'
      while (!stopped) {
        const res = await reader.xRead({ key, id }, { COUNT: 10_000, BLOCK: 200 })
        const now = performance.now()
        const stream = Array.isArray(res) ? (res[0] as { messages: { id: string; message: Record<string, string> }[] } | undefined) : undefined
        if (stream === undefined || stream.messages.length === 0) continue
        for (const m of stream.messages) latencies.record(stampOf(m.message['v'] ?? ''), now)
        id = (stream.messages[stream.messages.length - 1] as { id: string }).id
      }
    })()
    const sent = await pace(rate, seconds, (n) => {
      const multi = producer.multi()
      const value = stampedValue(recordBytes).toString('latin1')
      for (let i = 0; i < n; i++) multi.xAdd(key, '*', { v: value })
      return multi.execAsPipeline()
    })
    await drained(latencies, sent)
    stopped = true
    await reading
    return { system: 'Redis Streams (node-redis), XADD pipelined / XREAD BLOCK', rate, achieved: sent / seconds, ...latencies.summary(), durability: 'as configured on this machine (see the throughput table)' }
  } finally {
    await producer.del(key)
    await reader.quit()
    await producer.quit()
  }
}

export async function latencyNats(rate: number, seconds: number, recordBytes: number): Promise<LatencyResult> {
  const nc = await connect({ servers: '127.0.0.1:4222' })
  const name = `TRIBUTARY_LATENCY_${process.pid}`
  const subject = `tributary.latency.${process.pid}`
  try {
    const jsm = await jetstreamManager(nc)
    await jsm.streams.add({ name, subjects: [subject], storage: StorageType.File })
    await jsm.consumers.add(name, { durable_name: 'latency', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.New })
    const js = jetstream(nc)
    const consumer = await js.consumers.get(name, 'latency')
    const start = performance.now()
    const latencies = new Latencies(start, rate * seconds)
    const messages = await consumer.consume({ max_messages: 10_000 })
    const reading = (async () => {
      for await (const m of messages) latencies.record(stampOf(m.data), performance.now())
    })()
    const sent = await pace(rate, seconds, (n) => {
      const value = stampedValue(recordBytes)
      const acks: Promise<unknown>[] = new Array(n)
      for (let i = 0; i < n; i++) acks[i] = js.publish(subject, value)
      return Promise.all(acks)
    })
    await drained(latencies, sent)
    await messages.close()
    await reading
    return { system: 'NATS JetStream (@nats-io/jetstream), async publish / consume', rate, achieved: sent / seconds, ...latencies.summary(), durability: 'file storage, server default sync' }
  } finally {
    try {
      await (await jetstreamManager(nc)).streams.delete(name)
    } catch {
      // the stream may not exist if setup failed
    }
    await nc.close()
  }
}

/**
 * The same measurement with librdkafka on both ends (kcat producer fed through stdin with
 * linger.ms=0 and acks=all, kcat consumer printing values unbuffered), so no Node client library
 * sits between the clock and the broker. The stamps still pass through pipes of this process.
 * Nagle's algorithm is off on both (librdkafka leaves it on by default; Kafka's Java client and the
 * broker turn it off), so a small request never waits for the ACK of the one before it.
 */
export async function latencyKcat(target: Target, rate: number, seconds: number, recordBytes: number): Promise<LatencyResult> {
  const topic = `bench-latency-kcat-${process.pid}-${++runCount}`
  const admin = createKafkaClient({ bootstrap: [target.bootstrap], clientId: 'bench-latency-kcat' })
  try {
    await admin.admin().createTopics([{ name: topic, partitions: 1 }])
  } finally {
    await admin.close()
  }
  const base = ['-b', target.bootstrap, '-t', topic]
  const consumer = spawn('kcat', ['-C', ...base, '-u', '-o', 'end', '-f', '%s\n', '-X', 'fetch.wait.max.ms=100', '-X', 'socket.nagle.disable=true'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const producer = spawn('kcat', ['-P', ...base, '-X', 'linger.ms=0', '-X', 'acks=all', '-X', 'socket.nagle.disable=true'], { stdio: ['pipe', 'ignore', 'ignore'] })
  try {
    // Give the consumer time to join the end of the partition before the clock starts.
    await sleep(1500)
    const start = performance.now()
    const latencies = new Latencies(start, rate * seconds)
    createInterface({ input: consumer.stdout }).on('line', (line) => latencies.record(Number.parseFloat(line), performance.now()))
    const pad = ' '.repeat(Math.max(0, recordBytes - 16))
    const cpu0 = processCpuSeconds(target.brokerPid)
    const sent = await pace(rate, seconds, (n) => {
      const line = performance.now().toFixed(3).padEnd(16, ' ') + pad + '\n'
      return new Promise<void>((resolve, reject) => producer.stdin.write(line.repeat(n), (err) => (err ? reject(err) : resolve())))
    })
    // kcat produces the last lines it holds once its input ends.
    producer.stdin.end()
    await drained(latencies, sent)
    const cpu = processCpuSeconds(target.brokerPid) - cpu0
    return { system: 'Tributary, Kafka protocol (kcat producer and consumer, librdkafka)', rate, achieved: sent / seconds, ...latencies.summary(), brokerCpuPerSecond: cpu / seconds, durability: TRIBUTARY_DURABILITY }
  } finally {
    producer.stdin.end()
    producer.kill()
    consumer.kill()
  }
}
