/**
 * @module TxnOffsetCommit (key 28) v0-3: stages group offsets until the transaction ends;
 * partition checks first, the rest share the outcome.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import {
  type TxnOffsetCommitRequestV3,
  type TxnOffsetCommitResponsePartitionV3,
  type TxnOffsetCommitResponseV3,
} from '../../../protocol/messages/generated/txn-offset-commit/v3.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { toNumber } from '../wire.ts'
import { txnErrorCode } from './txn-util.ts'

export async function handleTxnOffsetCommit(ctx: RequestContext, body: unknown): Promise<TxnOffsetCommitResponseV3> {
  const req = body as Loose<TxnOffsetCommitRequestV3>
  const broker = ctx.server.broker
  const topics = (req.topics ?? []).map((t) => ({ name: t.name ?? '', partitions: t.partitions ?? [] }))
  // Partition-level checks first (Kafka answers those per partition); the rest share the outcome.
  const codes = new Map<string, number>()
  const offsets = []
  for (const t of topics) {
    for (const p of t.partitions) {
      const partition = p.partitionIndex ?? -1
      const offset = toNumber(p.committedOffset, -1)
      const key = `${partition}:${t.name}`
      const count = broker.hasTopic(t.name) ? broker.describeTopic(t.name).partitions.length : 0
      if (partition < 0 || partition >= count) codes.set(key, KafkaError.UNKNOWN_TOPIC_OR_PARTITION)
      else if (!Number.isSafeInteger(offset) || offset < 0) codes.set(key, KafkaError.INVALID_COMMIT_OFFSET_SIZE)
      else offsets.push({ topic: t.name, partition, offset, metadata: p.committedMetadata ?? null })
    }
  }
  let shared: number = KafkaError.NONE
  try {
    await broker.transactions.coordinator.stageOffsets({
      transactionalId: req.transactionalId ?? '',
      groupId: req.groupId ?? '',
      producerId: toNumber(req.producerId, -1),
      producerEpoch: req.producerEpoch ?? -1,
      generationId: req.generationId ?? -1,
      memberId: req.memberId ?? '',
      groupInstanceId: req.groupInstanceId ?? null,
      offsets,
    })
  } catch (e) {
    shared = txnErrorCode(e, 3, ctx.apiVersion)
  }
  return {
    throttleTimeMs: 0,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): TxnOffsetCommitResponsePartitionV3 => {
        const partitionIndex = p.partitionIndex ?? -1
        return { partitionIndex, errorCode: codes.get(`${partitionIndex}:${t.name}`) ?? shared }
      }),
    })),
  }
}
