// The shared client contract over a MessageChannel in this thread: the remote client on one port,
// the host serving the embedded client on the other (remote-worker.test.ts crosses a real thread).
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { runClientContractSuite } from '../client.case.ts'
import { openEmbedded } from '../embedded/index.ts'
import { serveClient } from './host.ts'
import { connectRemoteClient } from './remote-client.ts'

runClientContractSuite('remote client', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-remote-'))
  const { broker, client: embedded } = await openEmbedded({ dataDir })
  const { port1, port2 } = new MessageChannel()
  const host = serveClient(embedded, port1)
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
