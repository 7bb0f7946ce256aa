// runParallelJob on a WorkerPool: jobs one after the other run on the same threads with the same
// results; a crashed worker is not reused; close() ends the idle ones.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openEmbedded } from '../../src/client/embedded/index.ts'
import { remoteClientTransport } from '../../src/client/remote/index.ts'
import { type Client } from '../../src/client/types.ts'
import { runParallelJob } from '../../src/stream/parallel/parallel-job.ts'
import { WorkerPool } from '../../src/stream/parallel/worker-pool.ts'
import { type Order, type PipelineArgs } from './parallel-pipelines.ts'

const pipelines = new URL('./parallel-pipelines.ts', import.meta.url)
const ORDERS = 400

describe('parallel jobs on a worker pool', () => {
  let dataDir: string
  let broker: Awaited<ReturnType<typeof openEmbedded>>['broker']
  let client: Client
  const pool = new WorkerPool()

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-pool-'))
    ;({ broker, client } = await openEmbedded({ dataDir }))
    await client.admin().createTopics([{ name: 'orders', partitions: 4 }])
    const orders: Order[] = Array.from({ length: ORDERS }, (_, i) => ({ id: i, customer: `c${i % 7}`, amount: i % 50, ts: 1_000_000 + i }))
    await client.producer().send(orders.map((o, i) => ({ topic: 'orders', partition: i % 4, value: JSON.stringify(o) })))
  })

  after(async () => {
    await pool.close()
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  async function run(job: string, pipeline = 'statelessPipeline'): Promise<number> {
    await client.admin().createTopics([{ name: `${job}-out`, partitions: 1 }])
    const handle = runParallelJob<PipelineArgs>({
      name: job,
      module: pipelines,
      export: pipeline,
      parallelism: 2,
      pool,
      transport: remoteClientTransport(client),
      args: { input: 'orders', output: `${job}-out` },
    })
    await handle.done
    const [end] = await client.admin().listOffsets(`${job}-out`, 'latest')
    return end?.offset ?? -1
  }

  const expected = Array.from({ length: ORDERS }, (_, i) => i % 50).filter((amount) => amount % 3 !== 0).length

  it('runs jobs one after the other on the same two threads', async () => {
    assert.equal(await run('pool-a'), expected)
    assert.equal(pool.size, 2, 'both threads went back to the pool')
    assert.equal(await run('pool-b'), expected)
    assert.equal(pool.size, 2, 'the second job took the same threads, none was started')
  })

  it('does not reuse a thread that crashed; the next job gets a fresh one', async () => {
    await assert.rejects(run('pool-crash', 'crashingPipeline'), /worker 1 crashed/)
    assert.equal(pool.size, 0, 'the crashed thread and its stopped peer are not kept')
    assert.equal(await run('pool-c'), expected)
    assert.equal(pool.size, 2)
  })

  it('close() ends the idle threads', async () => {
    await pool.close()
    assert.equal(pool.size, 0)
    assert.throws(() => pool.acquire(), /closed/)
  })
})
