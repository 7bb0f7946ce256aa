import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Broker } from '../../broker/broker.ts'
import { startKafkaServer } from '../../broker/server/server.ts'
import { runClientContractSuite } from '../client.case.ts'
import { createKafkaClient } from './index.ts'

// The shared contract over the Kafka protocol: our broker behind our wire server, one per test.
runClientContractSuite('kafka client', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-kafka-client-'))
  const broker = await Broker.open({ dataDir })
  const server = await startKafkaServer(broker, { listen: '127.0.0.1:0' })
  const client = createKafkaClient({ bootstrap: [`127.0.0.1:${server.address.port}`], clientId: 'contract' })
  return {
    client,
    async teardown() {
      await server.close()
      await broker.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
})
