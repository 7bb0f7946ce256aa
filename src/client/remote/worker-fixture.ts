/**
 * @module Worker side of remote-worker.test.ts: a real thread using the remote client. Mode
 * 'roundtrip' produces, consumes as a group member and commits; mode 'crash' joins a group and throws
 * when the test says so, so the test can see the host clean up after a dead worker.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { connectRemoteClient } from './remote-client.ts'

interface Data {
  port: MessagePort
  topic: string
  groupId: string
  mode: 'roundtrip' | 'crash'
  count: number
}

const { port, topic, groupId, mode, count } = workerData as Data
const client = connectRemoteClient(port)
const events: string[] = []
const consumer = client.consumer({
  groupId,
  autoOffsetReset: 'earliest',
  sessionTimeoutMs: 60_000,
  heartbeatIntervalMs: 100,
  rebalanceListener: {
    onPartitionsAssigned: (tps) => void events.push(`assigned ${tps.length}`),
    onPartitionsRevoked: (tps) => void events.push(`revoked ${tps.length}`),
  },
})
await consumer.subscribe([topic])
if (mode === 'crash') {
  // Crashes when told to, so the test sees the member in the group first.
  parentPort?.once('message', () => {
    throw new Error('worker crashed on purpose')
  })
  parentPort?.postMessage({ joined: consumer.assignment().length })
} else await roundtrip()

async function roundtrip(): Promise<void> {
  const producer = client.producer()
  const meta = await producer.send(Array.from({ length: count }, (_, i) => ({ topic, key: `k${i}`, value: Buffer.from(`v${i}`), headers: [{ key: 'i', value: String(i) }] })))
  const values: string[] = []
  const headers: string[] = []
  for await (const batch of consumer.batches({ signal: AbortSignal.timeout(20_000) })) {
    for (const r of batch.records) {
      values.push(r.value?.toString() ?? 'null')
      headers.push(r.headers[0]?.value?.toString() ?? 'none')
    }
    if (values.length >= count) break
  }
  await consumer.commit()
  await consumer.close()
  await client.close()
  parentPort?.postMessage({ partitions: meta.map((m) => m.partition).sort(), values, headers, events })
}
