/**
 * @module AddPartitionsToTxn (key 24) v0-3: all partitions or none; the ones at fault get their
 * error, the others OPERATION_NOT_ATTEMPTED.
 */
import { KafkaError, kafkaErrorFor } from '../../../protocol/error-codes.ts'
import { type AddPartitionsToTxnRequestV3, type AddPartitionsToTxnResponseV3 } from '../../../protocol/messages/generated/add-partitions-to-txn/v3.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { toNumber } from '../wire.ts'
import { txnErrorCode } from './txn-util.ts'

export async function handleAddPartitionsToTxn(ctx: RequestContext, body: unknown): Promise<AddPartitionsToTxnResponseV3> {
  const req = body as Loose<AddPartitionsToTxnRequestV3>
  const topics = (req.v3AndBelowTopics ?? []).map((t) => ({ name: t.name ?? '', partitions: t.partitions ?? [] }))
  const answer = (codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponseV3 => ({
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codeOf(t.name, partitionIndex) })),
    })),
  })
  try {
    const errors = await ctx.server.broker.transactions.coordinator.addPartitions(
      req.v3AndBelowTransactionalId ?? '',
      toNumber(req.v3AndBelowProducerId, -1),
      req.v3AndBelowProducerEpoch ?? -1,
      topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition }))),
    )
    if (errors.size === 0) return answer(() => KafkaError.NONE)
    // As Kafka: the partitions at fault get their error, the others were not attempted.
    return answer((topic, partition) => {
      const code = errors.get(`${partition}:${topic}`)
      return code === undefined ? KafkaError.OPERATION_NOT_ATTEMPTED : kafkaErrorFor(code)
    })
  } catch (e) {
    const code = txnErrorCode(e, 2, ctx.apiVersion)
    return answer(() => code)
  }
}
