/**
 * runParallelJob on the embedded broker: the same bounded pipelines over a 4-partition topic with
 * one and with two worker threads (each a group member, reaching the broker through the remote
 * client) give the same output, and both workers ran tasks. A worker that throws fails the job.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { openEmbedded } from '../../src/client/embedded/index.ts'
import { remoteClientTransport } from '../../src/client/remote/index.ts'
import { type Client } from '../../src/client/types.ts'
import { type ParallelJobResult, runParallelJob } from '../../src/stream/parallel/parallel-job.ts'
import { type Order, type PipelineArgs } from './parallel-pipelines.ts'

const pipelines = new URL('./parallel-pipelines.ts', import.meta.url)
const ORDERS = 600

function order(i: number): Order {
  // Event time goes up with i, up to 1.2 s out of order.
  return { id: i, customer: `c${i % 7}`, amount: i % 50, ts: 1_000_000 + i * 100 + (i % 5) * 300 }
}

describe('parallel jobs over worker threads', () => {
  let dataDir: string
  let broker: Awaited<ReturnType<typeof openEmbedded>>['broker']
  let client: Client

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-parallel-'))
    ;({ broker, client } = await openEmbedded({ dataDir }))
    const admin = client.admin()
    await admin.createTopics([{ name: 'orders', partitions: 4 }])
    await admin.close()
    const producer = client.producer()
    await producer.send(Array.from({ length: ORDERS }, (_, i) => ({ topic: 'orders', partition: i % 4, value: JSON.stringify(order(i)), timestamp: order(i).ts })))
    await producer.close()
  })

  after(async () => {
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  async function readAll(topic: string): Promise<unknown[]> {
    const admin = client.admin()
    const [end] = await admin.listOffsets(topic, 'latest')
    await admin.close()
    const out: unknown[] = []
    if ((end?.offset ?? 0) === 0) return out
    const consumer = client.consumer({ autoOffsetReset: 'earliest' })
    await consumer.assign([{ topic, partition: 0 }])
    for await (const batch of consumer.batches({ signal: AbortSignal.timeout(20_000) })) {
      for (const r of batch.records) out.push(JSON.parse(r.value?.toString() ?? 'null'))
      if (batch.nextOffset >= (end?.offset ?? 0)) break
    }
    await consumer.close()
    return out
  }

  async function run(pipeline: string, parallelism: number, job: string): Promise<{ result: ParallelJobResult; output: unknown[] }> {
    const output = `${job}-out`
    const admin = client.admin()
    await admin.createTopics([{ name: output, partitions: 1 }])
    await admin.close()
    const handle = runParallelJob<PipelineArgs>({
      name: job,
      module: pipelines,
      export: pipeline,
      parallelism,
      transport: remoteClientTransport(client),
      args: { input: 'orders', output },
      environment: { autoWatermarkIntervalMs: 50 },
    })
    const result = await handle.done
    return { result, output: await readAll(output) }
  }

  /** Both workers read source partitions, and together read each record once. */
  function assertBothWorked(result: ParallelJobResult): void {
    const read = result.workers.map((w) => w.metrics['orders']?.['recordsIn'] ?? 0)
    assert.equal(read.length, 2)
    assert.ok(read.every((n) => n > 0), `each worker read source records: ${read.join(', ')}`)
    assert.equal((read[0] ?? 0) + (read[1] ?? 0), ORDERS)
    assert.equal(result.metrics['orders']?.['recordsIn'], ORDERS, 'job metrics sum the workers')
  }

  it('a stateless pipeline gives the same output with one and two workers', async () => {
    const one = await run('statelessPipeline', 1, 'stateless-p1')
    const two = await run('statelessPipeline', 2, 'stateless-p2')
    const expected = Array.from({ length: ORDERS }, (_, i) => order(i))
      .filter((o) => o.amount % 3 !== 0)
      .map((o) => ({ id: o.id, customer: o.customer, doubled: o.amount * 2 }))
    const byId = (a: unknown, b: unknown): number => (a as Order).id - (b as Order).id
    assert.deepEqual([...one.output].sort(byId), expected)
    assert.deepEqual([...two.output].sort(byId), expected)
    assert.equal(one.result.workers.length, 1)
    assertBothWorked(two.result)
  })

  it('a keyed windowed pipeline (repartition topic between the workers) gives the same windows with one and two workers', async () => {
    const one = await run('windowedPipeline', 1, 'windowed-p1')
    const two = await run('windowedPipeline', 2, 'windowed-p2')
    const expected = new Map<string, { orders: number; total: number }>()
    for (let i = 0; i < ORDERS; i++) {
      const o = order(i)
      const k = `${o.customer}@${Math.floor(o.ts / 10_000) * 10_000}`
      const v = expected.get(k) ?? { orders: 0, total: 0 }
      expected.set(k, { orders: v.orders + 1, total: v.total + o.amount })
    }
    type Row = { kind: string; key: string; window: { start: number }; value: { orders: number; total: number } }
    const windows = (rows: unknown[]): Map<string, { orders: number; total: number }> => {
      const m = new Map<string, { orders: number; total: number }>()
      for (const r of rows as Row[]) {
        assert.equal(r.kind, 'insert')
        const k = `${r.key}@${r.window.start}`
        assert.ok(!m.has(k), `window ${k} written once`)
        m.set(k, r.value)
      }
      return m
    }
    assert.deepEqual(windows(one.output), expected)
    assert.deepEqual(windows(two.output), expected)
    assertBothWorked(two.result)
    const fired = two.result.workers.map((w) => Object.entries(w.metrics).filter(([name]) => name.startsWith('window')).reduce((n, [, c]) => n + (c['recordsOut'] ?? 0), 0))
    assert.ok(fired.every((n) => n > 0), `both workers fired windows: ${fired.join(', ')}`)
    assert.equal((fired[0] ?? 0) + (fired[1] ?? 0), expected.size)
  })

  it('an unbounded job reports live metrics from its workers and ends on cancel', async () => {
    const admin = client.admin()
    await admin.createTopics([{ name: 'live-out', partitions: 1 }])
    await admin.close()
    const handle = runParallelJob<PipelineArgs>({
      name: 'live',
      module: pipelines,
      export: 'statelessPipeline',
      parallelism: 2,
      transport: remoteClientTransport(client),
      args: { input: 'orders', output: 'live-out', unbounded: true },
      metricsIntervalMs: 50,
    })
    const deadline = Date.now() + 20_000
    while ((handle.metrics()['orders']?.['recordsIn'] ?? 0) < ORDERS) {
      assert.ok(Date.now() < deadline, `metrics show ${JSON.stringify(handle.metrics())}`)
      await sleep(20)
    }
    assert.equal(handle.workerMetrics().length, 2)
    const result = await handle.cancel()
    assert.equal(result.cancelled, true)
    assert.equal(result.metrics['orders']?.['recordsIn'], ORDERS)
  })

  it('a worker that throws fails the job with its error; the other worker is stopped', async () => {
    const admin = client.admin()
    await admin.createTopics([{ name: 'failing-out', partitions: 1 }])
    await admin.close()
    const handle = runParallelJob<PipelineArgs>({
      name: 'failing',
      module: pipelines,
      export: 'failingPipeline',
      parallelism: 2,
      transport: remoteClientTransport(client),
      args: { input: 'orders', output: 'failing-out', failAt: 77 },
    })
    await assert.rejects(handle.done, (err: Error) => {
      assert.match(err.message, /cannot price order 77/)
      return true
    })
  })

  it('a worker thread that crashes or exits early fails the job instead of hanging it', async () => {
    for (const [pipeline, expected] of [
      ['crashingPipeline', /worker 1 crashed/],
      ['exitingPipeline', /worker 0 of job exiting-\w+ exited \(code 3\)/],
    ] as const) {
      const handle = runParallelJob<PipelineArgs>({
        name: `${pipeline.replace('Pipeline', '')}-job`,
        module: pipelines,
        export: pipeline,
        parallelism: 2,
        transport: remoteClientTransport(client),
        args: { input: 'orders', output: 'failing-out', unbounded: true },
      })
      await assert.rejects(handle.done, (err: Error) => {
        assert.match(err.message, expected)
        return true
      })
    }
  })

  it('a module without the builder export fails the job with INVALID_CONFIG', async () => {
    const handle = runParallelJob({ name: 'missing', module: pipelines, export: 'noSuchPipeline', parallelism: 2, transport: remoteClientTransport(client) })
    await assert.rejects(handle.done, { code: 'INVALID_CONFIG', message: /noSuchPipeline/ })
  })
})
