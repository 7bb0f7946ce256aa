/**
 * @module The generator stage: Nexmark events (row format or JSON) into a topic, before any query runs, so the
 * queries measure reading and processing only. Events go round-robin over the partitions (each
 * partition's event times then rise together, which keeps the per-partition watermarks close) and
 * carry their event time (`dateTime`) as the record timestamp. Sends of 2,048 events per partition.
 */
import { type Client, type ProducerRecord } from '../../src/client/types.ts'
import { type NexmarkEvent, NexmarkGenerator } from '../../src/stream/generators/nexmark.ts'
import { type EventFormatName, eventFormat } from './event-format.ts'
import { type Measured, measure } from './measure.ts'

/** Events per partition per send (well under the 1 MiB max.message.bytes of a batch). */
const PER_PARTITION = 2048
/** Sends in flight, so encoding overlaps the broker's writes. */
const IN_FLIGHT = 4

/** Writes events 0..count-1 of the default Nexmark stream (seed 0) to `topic`. */
export async function loadEvents(client: Client, topic: string, partitions: number, count: number, formatName: EventFormatName): Promise<Measured> {
  const format = eventFormat(formatName)
  const producer = client.producer({ acks: 1 })
  const generator = new NexmarkGenerator({ maxEvents: count })
  const chunk = PER_PARTITION * partitions
  const events: NexmarkEvent[] = new Array(chunk)
  try {
    return await measure(count, async () => {
      const inflight: Promise<unknown>[] = []
      let sent = 0
      for (;;) {
        const n = generator.nextBatch(chunk, events)
        if (n === 0) break
        const records: ProducerRecord[] = new Array(n)
        for (let i = 0; i < n; i++) {
          const e = events[i] as NexmarkEvent
          records[i] = { topic, partition: (sent + i) % partitions, value: format.serialize(e), timestamp: e.dateTime }
        }
        sent += n
        const send = producer.send(records)
        // Awaited below in order; meanwhile a failure must not count as unhandled.
        send.catch(() => undefined)
        inflight.push(send)
        if (inflight.length >= IN_FLIGHT) await inflight.shift()
      }
      await Promise.all(inflight)
    })
  } finally {
    await producer.close()
  }
}
