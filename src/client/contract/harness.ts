/**
 * @module Helpers of the shared client contract suite: a client per test, unique topic names (so the
 * suite can also run against a shared cluster), and bounded waits that fail instead of hanging.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Client, type Consumer, type ConsumerRecord } from '../types.ts'

export interface ContractClient {
  client: Client
  teardown(): Promise<void>
}

export type ContractSetup = () => Promise<ContractClient>

/** Long enough for any healthy implementation; only reached when something is broken. */
export const WAIT_LIMIT_MS = 20_000

export async function withClient(setup: ContractSetup, fn: (client: Client) => Promise<void>): Promise<void> {
  const { client, teardown } = await setup()
  try {
    await fn(client)
  } finally {
    await client.close().catch(() => undefined)
    await teardown()
  }
}

export function topicName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

export function groupName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

export async function createTopic(client: Client, prefix: string, partitions = 1, configs?: Record<string, string>): Promise<string> {
  const name = topicName(prefix)
  const admin = client.admin()
  await admin.createTopics([{ name, partitions, ...(configs === undefined ? {} : { configs }) }])
  await admin.close()
  return name
}

/** Reads until `count` records arrived (or fails after WAIT_LIMIT_MS); returns exactly what was read. */
export async function consumeN(consumer: Consumer, count: number): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = []
  if (count === 0) return out
  const signal = AbortSignal.timeout(WAIT_LIMIT_MS)
  for await (const batch of consumer.batches({ signal })) {
    out.push(...batch.records)
    if (out.length >= count) break
  }
  assert.ok(out.length >= count, `read ${out.length} of ${count} records before giving up`)
  return out
}

/** Polls `condition` until it holds; fails naming `what` after WAIT_LIMIT_MS. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** Runs a consumer's batches() in the background, collecting records, until stop() is awaited. */
export function background(consumer: Consumer): { records: ConsumerRecord[]; stop(): Promise<void> } {
  const records: ConsumerRecord[] = []
  const abort = new AbortController()
  const done = (async () => {
    for await (const batch of consumer.batches({ signal: abort.signal })) records.push(...batch.records)
  })()
  return {
    records,
    async stop() {
      abort.abort()
      await done
    },
  }
}

export function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8')
}

export async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  await assert.rejects(
    async () => (typeof promise === 'function' ? promise() : promise),
    (err: unknown) => {
      assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String(err)}`)
      return true
    },
  )
}
