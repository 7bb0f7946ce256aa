/**
 * @module Wiring of idempotence and transactions into a broker at open: the internal topic
 * `__transaction_state`, the producer id allocator, the per-partition producer state the produce
 * path consults, and the transaction coordinator, recovered from disk before the broker serves.
 */
import { type Clock } from '../../util/clock.ts'
import { type PartitionLog } from '../../log/types.ts'
import { type GroupCoordinator } from '../group/coordinator.ts'
import { type TopicManager } from '../topic-manager.ts'
import { type TopicPartition } from '../types.ts'
import { ProducerIdAllocator } from './producer-id-allocator.ts'
import { ProducerStateManager } from './producer-state-manager.ts'
import { TransactionCoordinator } from './transaction-coordinator.ts'
import { TRANSACTION_STATE_TOPIC, TransactionLog } from './transaction-log.ts'

export interface TransactionSupportDeps {
  dataDir: string
  clock: Clock
  topics: TopicManager
  groups: GroupCoordinator
  maxTransactionTimeoutMs?: number
}

/** The broker's view of transactions: the coordinator plus what read_committed reads need. */
export class Transactions {
  readonly coordinator: TransactionCoordinator
  readonly producers: ProducerStateManager

  constructor(coordinator: TransactionCoordinator, producers: ProducerStateManager) {
    this.coordinator = coordinator
    this.producers = producers
  }

  lastStableOffset(topic: string, partition: number, highWatermark: number): number {
    return this.producers.lastStableOffset(topic, partition, highWatermark)
  }

  abortedTransactions(topic: string, partition: number, from: number, to: number): { producerId: number; firstOffset: number }[] {
    return this.producers.abortedTransactions(topic, partition, from, to)
  }

  waitForAppend(partitions: readonly TopicPartition[], ms: number, signal: AbortSignal): Promise<void> {
    return this.producers.waitForAppend(partitions, ms, signal)
  }

  hasPendingOffsets(groupId: string, topic: string, partition: number): boolean {
    return this.coordinator.hasPendingOffsets(groupId, topic, partition)
  }

  close(): void {
    this.coordinator.close()
  }

  /** After the logs closed cleanly: snapshots of the producer state, for a fast next start. */
  snapshot(): Promise<void> {
    return this.producers.snapshot()
  }
}

export async function openTransactions(deps: TransactionSupportDeps): Promise<Transactions> {
  const { topics, clock, groups } = deps
  const openStateLog = async (create: boolean): Promise<PartitionLog | undefined> => {
    let topic = topics.get(TRANSACTION_STATE_TOPIC)
    if (topic === undefined && create) {
      try {
        topic = await topics.create(TRANSACTION_STATE_TOPIC, 1, { 'cleanup.policy': 'compact', 'flush.mode': 'fsync', 'segment.bytes': String(16 * 1024 * 1024) })
      } catch (e) {
        // Two first transactions at once: the other one created it.
        topic = topics.get(TRANSACTION_STATE_TOPIC)
        if (topic === undefined) throw e
      }
    }
    return topic?.partitions[0]?.log
  }
  const partition = (t: string, p: number): ReturnType<TopicManager['partition']> => topics.partition(t, p)
  const producers = new ProducerStateManager({ clock, partition, internalTopics: new Set([TRANSACTION_STATE_TOPIC]) })
  const coordinator = new TransactionCoordinator({
    clock,
    log: new TransactionLog(openStateLog, clock),
    producerIds: await ProducerIdAllocator.open(deps.dataDir),
    producers,
    partition,
    offsets: {
      // An empty commit checks membership and generation and writes nothing.
      checkMember: (groupId, generationId, memberId) => groups.commitOffsets({ groupId, generationId, memberId, offsets: [] }),
      commit: (groupId, offsets) => groups.commitTransactionalOffsets(groupId, offsets),
    },
    ...(deps.maxTransactionTimeoutMs === undefined ? {} : { maxTimeoutMs: deps.maxTransactionTimeoutMs }),
  })
  await coordinator.recover()
  return new Transactions(coordinator, producers)
}
