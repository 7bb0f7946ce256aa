/**
 * @module Conformance test support: our broker and Kafka wire server on 127.0.0.1 and an ephemeral
 * port in a temporary data directory (restartable on the same directory), an embedded admin to
 * check what clients did, external tools (kcat) with the CI rule, child processes with time limits.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type TestContext } from 'node:test'
import { Broker } from '../../src/broker/broker.ts'
import { startKafkaServer } from '../../src/broker/server/server.ts'
import { createEmbeddedClient } from '../../src/client/embedded/index.ts'
import { type Admin, type Client } from '../../src/client/types.ts'

/** Long enough for any healthy client; reached only when something is broken. */
export const WAIT_MS = 30_000

export interface RunningBroker {
  /** "127.0.0.1:port" for clients. */
  bootstrap: string
  host: string
  port: number
  dataDir: string
  broker: Broker
  /** An embedded client on the same broker, to check what the Kafka clients did. */
  client: Client
  admin: Admin
  /** Closes server and broker, then opens both again on the same data directory and port. */
  restart(): Promise<void>
  /** Closes everything and removes the data directory. */
  stop(): Promise<void>
}

export async function startBroker(): Promise<RunningBroker> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-conformance-'))
  let port = 0
  let broker: Broker
  let server: Awaited<ReturnType<typeof startKafkaServer>>
  let client: Client
  const open = async (): Promise<void> => {
    broker = await Broker.open({ dataDir })
    // On a restart the old port is asked for again; another process may hold it for a moment.
    for (let attempt = 0; ; attempt++) {
      try {
        server = await startKafkaServer(broker, { listen: `127.0.0.1:${port}` })
        break
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EADDRINUSE' || attempt >= 40) throw err
        await sleep(50)
      }
    }
    port = portOf(server.address)
    client = createEmbeddedClient({ broker })
  }
  const close = async (): Promise<void> => {
    await client.close().catch(() => undefined)
    await server.close()
    await broker.close()
  }
  await open()
  const running: RunningBroker = {
    get bootstrap() {
      return `127.0.0.1:${port}`
    },
    host: '127.0.0.1',
    get port() {
      return port
    },
    dataDir,
    get broker() {
      return broker
    },
    get client() {
      return client
    },
    get admin() {
      return client.admin()
    },
    async restart() {
      await close()
      await open()
    },
    async stop() {
      await close().catch(() => undefined)
      await rm(dataDir, { recursive: true, force: true })
    },
  }
  return running
}

function portOf(address: unknown): number {
  if (typeof address === 'string') return Number(address.slice(address.lastIndexOf(':') + 1))
  if (typeof address === 'object' && address !== null && 'port' in address) return Number((address as { port: unknown }).port)
  throw new Error(`cannot read the port of ${String(address)}`)
}

/** Runs `fn` with a fresh broker, stopping it afterwards. */
export async function withBroker(fn: (b: RunningBroker) => Promise<void>): Promise<void> {
  const b = await startBroker()
  try {
    await fn(b)
  } finally {
    await b.stop()
  }
}

const toolCache = new Map<string, boolean>()

/**
 * True when `tool` runs here. Missing: a failure in CI (CI=true), a visible skip elsewhere.
 */
export function requireTool(t: TestContext, tool: string): boolean {
  let found = toolCache.get(tool)
  if (found === undefined) {
    found = spawnSync(tool, ['-V'], { stdio: 'ignore' }).error === undefined
    toolCache.set(tool, found)
  }
  if (found) return true
  if (process.env['CI'] === 'true') assert.fail(`${tool} is not installed (CI needs it: see .ci/run)`)
  t.skip(`${tool} not installed`)
  return false
}

export interface ProcessResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to completion (killing it after `timeoutMs`), feeding `input` to stdin. */
export function run(command: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? WAIT_MS)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')
  })
}

/** Polls `condition` until it holds; fails naming `what` after WAIT_MS. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** Every record's value (as text) in a topic, read with the embedded client, in offset order per partition. */
export async function readAll(b: RunningBroker, topic: string): Promise<{ partition: number; offset: number; key: string | null; value: string | null }[]> {
  const admin = b.admin
  const [info] = await admin.describeTopics([topic])
  const total = (info?.partitions ?? []).reduce((n, p) => n + p.logEndOffset - p.logStartOffset, 0)
  const consumer = b.client.consumer({ autoOffsetReset: 'earliest' })
  await consumer.assign((info?.partitions ?? []).map((p) => ({ topic, partition: p.partition })))
  const out: { partition: number; offset: number; key: string | null; value: string | null }[] = []
  // Control records (transaction markers) take offsets too: read until every partition's end.
  const ends = new Map((info?.partitions ?? []).map((p) => [p.partition, p.logEndOffset]))
  const done = (): boolean => [...ends].every(([p, end]) => consumer.position({ topic, partition: p }) >= end)
  if (total > 0 && !done()) {
    for await (const batch of consumer.batches({ signal: AbortSignal.timeout(WAIT_MS) })) {
      for (const r of batch.records) out.push({ partition: r.partition, offset: r.offset, key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null })
      if (done()) break
    }
  }
  await consumer.close()
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
}

/** Producer id and attributes of every stored batch of a partition (read from the batch headers). */
export async function storedBatches(b: RunningBroker, topic: string, partition: number): Promise<{ baseOffset: number; producerId: bigint; transactional: boolean; control: boolean }[]> {
  const [r] = await b.broker.fetch([{ topic, partition, offset: 0, maxBytes: 64 * 1024 * 1024 }], { maxWaitMs: 0, minBytes: 0, maxBytes: 64 * 1024 * 1024 })
  const bytes = r?.records ?? Buffer.alloc(0)
  const out = []
  // RecordBatch v2 header: baseOffset @0, batchLength @8, attributes @21, producerId @43.
  for (let pos = 0; pos + 61 <= bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) {
    const attributes = bytes.readInt16BE(pos + 21)
    out.push({ baseOffset: Number(bytes.readBigInt64BE(pos)), producerId: bytes.readBigInt64BE(pos + 43), transactional: (attributes & 0x10) !== 0, control: (attributes & 0x20) !== 0 })
  }
  return out
}

/**
 * Consumer groups deliver at least once: after a rebalance a member resumes from the last committed
 * offset, so records read but not yet auto-committed come again (a client that rejoins twice, as
 * platformatic may after a failed auto-commit, rebalances twice, as it would on Kafka). What must
 * hold: every expected value was delivered, and a value seen twice is the same stored record
 * (same partition and offset), never a second copy in the log.
 */
export function assertDeliveredAtLeastOnce(seen: readonly { partition: number; offset: number; value: string }[], expected: readonly string[]): void {
  const wanted = new Set(expected)
  const positionOf = new Map<string, string>()
  for (const s of seen) {
    if (!wanted.has(s.value)) continue
    const position = `${s.partition}/${s.offset}`
    const first = positionOf.get(s.value)
    assert.ok(first === undefined || first === position, `${s.value} was delivered from ${first} and from ${position}`)
    positionOf.set(s.value, position)
  }
  assert.deepEqual([...positionOf.keys()].sort(), [...wanted].sort())
}
