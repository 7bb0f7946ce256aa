// The remote client in a real worker thread, served by a host over the embedded client here.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { MessageChannel, Worker } from 'node:worker_threads'
import { openEmbedded } from '../embedded/index.ts'
import { serveClient } from './host.ts'

const fixture = new URL('./worker-fixture.ts', import.meta.url)

async function withBroker(fn: (client: Awaited<ReturnType<typeof openEmbedded>>['client']) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-remote-worker-'))
  const { broker, client } = await openEmbedded({ dataDir })
  try {
    await fn(client)
  } finally {
    await client.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

function startWorker(client: Parameters<typeof serveClient>[0], data: Record<string, unknown>): { worker: Worker; host: ReturnType<typeof serveClient> } {
  const { port1, port2 } = new MessageChannel()
  const host = serveClient(client, port1)
  const worker = new Worker(fixture, { workerData: { ...data, port: port2 }, transferList: [port2] })
  return { worker, host }
}

test('a worker thread produces, consumes as a group member and commits through the host', () =>
  withBroker(async (client) => {
    const admin = client.admin()
    await admin.createTopics([{ name: 'remote', partitions: 2 }])
    const { worker, host } = startWorker(client, { topic: 'remote', groupId: 'remote-g', mode: 'roundtrip', count: 500 })
    const [result] = (await once(worker, 'message')) as [{ partitions: number[]; values: string[]; headers: string[]; events: string[] }]
    await once(worker, 'exit')
    await host.close()
    assert.deepEqual(result.partitions, [0, 1], 'keyed records went to both partitions, one batch each')
    assert.deepEqual([...result.values].sort(), Array.from({ length: 500 }, (_, i) => `v${i}`).sort())
    assert.deepEqual(result.headers.map(Number).sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i))
    assert.deepEqual(result.events, ['assigned 2', 'revoked 2'], 'the worker listener saw the assignment and the revoke on close')
    const lag = await admin.groupLag('remote-g')
    assert.deepEqual(lag.map((l) => l.lag), [0, 0], 'the commit reached the broker')
    assert.equal(lag.reduce((n, l) => n + l.committedOffset, 0), 500)
    await admin.close()
  }))

test('when a worker dies, the host closes its consumers: the member leaves at once', () =>
  withBroker(async (client) => {
    const admin = client.admin()
    await admin.createTopics([{ name: 'crash', partitions: 1 }])
    const { worker, host } = startWorker(client, { topic: 'crash', groupId: 'crash-g', mode: 'crash', count: 0 })
    const errors: Error[] = []
    worker.on('error', (err) => errors.push(err))
    const exited = new Promise((resolve) => worker.on('exit', resolve))
    const [joined] = (await once(worker, 'message')) as [{ joined: number }]
    assert.equal(joined.joined, 1)
    assert.equal((await admin.describeGroup('crash-g')).members.length, 1)
    worker.postMessage('crash')
    await exited
    assert.match(errors[0]?.message ?? '', /crashed on purpose/)
    // The session timeout is 60 s: only the host's close on the port's end can empty the group this soon.
    const deadline = Date.now() + 20_000
    while ((await admin.describeGroup('crash-g')).members.length > 0) {
      assert.ok(Date.now() < deadline, 'the dead worker is still a group member')
      await sleep(20)
    }
    await host.close()
    await admin.close()
  }))
