import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { runClientContractSuite } from '../client.case.ts'
import { openEmbedded } from './index.ts'

runClientContractSuite('embedded client', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-client-'))
  const { broker, client } = await openEmbedded({ dataDir })
  return {
    client,
    async teardown() {
      await broker.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
})
