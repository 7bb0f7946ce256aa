/**
 * @module Readers of in-memory sources: they cut a partition of a collection or generator into
 * batches and put them into a task's mailbox, waiting whenever the mailbox is full (that wait is
 * where backpressure reaches a source). Topic partitions are read by stage-consumer.ts.
 */
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type CollectionSourceSpec, type GeneratorSourceSpec } from '../api/transformation.ts'
import { NO_TIMESTAMP } from './stream-operator.ts'
import { type Letter, type StreamTask } from './task.ts'

export interface InputPort {
  task: StreamTask
  input: number
}

function stopped(signal: AbortSignal): TributaryError {
  return new TributaryError(ErrorCode.ABORTED, 'the job stopped', { cause: signal.reason })
}

export async function offer(port: InputPort, letter: Letter, signal: AbortSignal): Promise<void> {
  const wait = port.task.whenWritable()
  if (wait !== undefined) await wait
  if (signal.aborted) throw stopped(signal)
  port.task.offer(letter)
}

export async function readCollection(spec: CollectionSourceSpec, partition: number, port: InputPort, signal: AbortSignal): Promise<void> {
  const { items, partitions, batchSize, timestamp } = spec
  let values: unknown[] = []
  let timestamps: number[] = []
  for (let i = partition; i < items.length; i += partitions) {
    const item = items[i]
    values.push(item)
    timestamps.push(timestamp === undefined ? NO_TIMESTAMP : timestamp(item))
    if (values.length === batchSize) {
      await offer(port, { kind: 'batch', input: port.input, sender: 0, values, timestamps }, signal)
      values = []
      timestamps = []
    }
  }
  if (values.length > 0) await offer(port, { kind: 'batch', input: port.input, sender: 0, values, timestamps }, signal)
  if (!spec.unbounded) await offer(port, { kind: 'end', input: port.input, sender: 0 }, signal)
}

/** Partition p generates indexes p, p + n, p + 2n, ... below count, paced to its share of the rate. */
export async function readGenerator(spec: GeneratorSourceSpec, partition: number, port: InputPort, clock: Clock, signal: AbortSignal): Promise<void> {
  const { generate, count, partitions, batchSize, timestamp, ratePerSecond } = spec
  const msPerElement = ratePerSecond === undefined ? 0 : (1000 * partitions) / ratePerSecond
  const start = clock.now()
  let emitted = 0
  let index = partition
  while (index < count) {
    let due = batchSize
    if (msPerElement > 0) {
      const elapsed = clock.now() - start
      due = Math.min(batchSize, Math.floor(elapsed / msPerElement) + 1 - emitted)
      if (due <= 0) {
        await clock.sleep(start + emitted * msPerElement - clock.now(), signal)
        continue
      }
    }
    const values: unknown[] = []
    const timestamps: number[] = []
    for (let k = 0; k < due && index < count; k++, index += partitions) {
      const item = generate(index)
      values.push(item)
      timestamps.push(timestamp === undefined ? NO_TIMESTAMP : timestamp(item))
    }
    emitted += values.length
    await offer(port, { kind: 'batch', input: port.input, sender: 0, values, timestamps }, signal)
    // Let tasks and timers run between batches of a fast generator.
    if (msPerElement === 0 && port.task.queued > 0) await new Promise<void>((resolve) => setImmediate(resolve))
  }
  await offer(port, { kind: 'end', input: port.input, sender: 0 }, signal)
}
