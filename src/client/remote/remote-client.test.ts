// The shared client contract over a MessageChannel in this thread: the remote client on one port,
// the host serving the embedded client on the other (remote-worker.test.ts crosses a real thread).
// Twice: once as is (record batches cross as bytes), once with the embedded client's raw-batch
// capabilities hidden, as a host serving the Kafka client sees it (records packed and re-sent).
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { runClientContractSuite } from '../client.case.ts'
import { openEmbedded } from '../embedded/index.ts'
import { type Client } from '../types.ts'
import { serveClient } from './host.ts'
import { connectRemoteClient } from './remote-client.ts'

/** `target` without the named methods; every other method runs on the target itself (private fields). */
function without<T extends object>(target: T, hidden: readonly string[]): T {
  return new Proxy(target, {
    get(t, k) {
      if (typeof k === 'string' && hidden.includes(k)) return undefined
      const v: unknown = Reflect.get(t, k, t)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v
    },
  })
}

function recordsOnly(client: Client): Client {
  return {
    producer: (o) => without(client.producer(o), ['appendBatch', 'partitionCount']),
    consumer: (o) => without(client.consumer(o), ['rawBatches']),
    admin: () => client.admin(),
    close: () => client.close(),
  }
}

function suite(name: string, wrap: (c: Client) => Client): void {
  runClientContractSuite(name, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-remote-'))
    const { broker, client: embedded } = await openEmbedded({ dataDir })
    const { port1, port2 } = new MessageChannel()
    const host = serveClient(wrap(embedded), port1)
    return {
      client: connectRemoteClient(port2),
      async teardown() {
        await host.close()
        await embedded.close()
        await broker.close()
        await rm(dataDir, { recursive: true, force: true })
      },
    }
  })
}

suite('remote client', (c) => c)
suite('remote client (host without raw batches)', recordsOnly)
