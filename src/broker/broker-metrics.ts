/**
 * @module The broker's metrics: messages and bytes in/out per partition (counted from batch headers,
 * never by decoding records), produce and fetch latency, and log offsets and sizes read from the
 * logs when a snapshot is taken.
 */
import { BatchOffsets, LOG_OVERHEAD } from '../protocol/records/batch-header.ts'
import { type Histogram } from '../metrics/histogram.ts'
import { type Counter, type MetricFamily, type MetricsRegistry } from '../metrics/registry.ts'
import { type PartitionRuntime, type Topic } from './topic-manager.ts'

export interface PartitionMetrics {
  messagesIn: Counter
  bytesIn: Counter
  messagesOut: Counter
  bytesOut: Counter
}

/**
 * Records in the batches of `buf` (lastOffsetDelta + 1 each), walking headers only. The bytes must
 * be framed batches (validated by the log); an incomplete tail is ignored.
 */
export function countRecords(buf: Buffer): number {
  let count = 0
  let pos = 0
  while (pos + BatchOffsets.records <= buf.length) {
    const size = buf.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
    if (size < BatchOffsets.records || pos + size > buf.length) break
    count += buf.readInt32BE(pos + BatchOffsets.lastOffsetDelta) + 1
    pos += size
  }
  return count
}

export class BrokerMetrics {
  readonly produceLatency: Histogram
  readonly fetchLatency: Histogram
  readonly failedProduce: MetricFamily<Counter>
  readonly maintenanceErrors: Counter
  readonly #messagesIn: MetricFamily<Counter>
  readonly #bytesIn: MetricFamily<Counter>
  readonly #messagesOut: MetricFamily<Counter>
  readonly #bytesOut: MetricFamily<Counter>
  readonly #unregister: (() => void)[] = []

  constructor(registry: MetricsRegistry, topics: () => Iterable<Topic>) {
    const tp = ['topic', 'partition']
    this.#messagesIn = registry.counterFamily('tributary_broker_messages_in_total', 'Records appended', tp)
    this.#bytesIn = registry.counterFamily('tributary_broker_bytes_in_total', 'Batch bytes appended', tp)
    this.#messagesOut = registry.counterFamily('tributary_broker_messages_out_total', 'Records returned by fetches', tp)
    this.#bytesOut = registry.counterFamily('tributary_broker_bytes_out_total', 'Batch bytes returned by fetches', tp)
    this.failedProduce = registry.counterFamily('tributary_broker_failed_produce_requests_total', 'Produce requests that failed', ['topic'])
    this.maintenanceErrors = registry.counter('tributary_broker_maintenance_errors_total', 'Partition maintenance runs that failed')
    // Milliseconds from the injected clock; 1 µs resolution keeps sub-ms latencies apart when the clock has them.
    this.produceLatency = registry.histogram('tributary_broker_produce_latency_ms', 'Produce latency until acknowledged (ms)', { resolution: 0.001 })
    this.fetchLatency = registry.histogram('tributary_broker_fetch_latency_ms', 'Fetch latency including long-poll wait (ms)', { resolution: 0.001 })
    const perPartition = (read: (p: PartitionRuntime) => number) =>
      function* (): Iterable<readonly [readonly string[], number]> {
        for (const t of topics()) for (const p of t.partitions) if (!p.closed) yield [[t.name, String(p.index)], read(p)]
      }
    this.#unregister.push(
      registry.registerCollector('tributary_log_end_offset', 'Next offset to be assigned', 'gauge', tp, perPartition((p) => p.log.logEndOffset)),
      registry.registerCollector('tributary_log_start_offset', 'First offset still in the log', 'gauge', tp, perPartition((p) => p.log.logStartOffset)),
      registry.registerCollector('tributary_log_high_watermark', 'End of what consumers may read', 'gauge', tp, perPartition((p) => p.log.highWatermark)),
      registry.registerCollector('tributary_log_size_bytes', 'Bytes on disk', 'gauge', tp, perPartition((p) => p.log.sizeInBytes)),
    )
  }

  /** The partition's counters, created once and kept on the partition. */
  of(p: PartitionRuntime): PartitionMetrics {
    if (p.metrics !== undefined) return p.metrics
    const labels = [p.topic, String(p.index)]
    p.metrics = {
      messagesIn: this.#messagesIn.labels(...labels),
      bytesIn: this.#bytesIn.labels(...labels),
      messagesOut: this.#messagesOut.labels(...labels),
      bytesOut: this.#bytesOut.labels(...labels),
    }
    return p.metrics
  }

  /** Drops a deleted topic's series. */
  forgetTopic(name: string): void {
    const match = (l: Record<string, string>): boolean => l.topic === name
    for (const f of [this.#messagesIn, this.#bytesIn, this.#messagesOut, this.#bytesOut, this.failedProduce]) f.removeWhere(match)
  }

  close(): void {
    for (const off of this.#unregister) off()
  }
}
