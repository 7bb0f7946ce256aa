/**
 * @module InitProducerId (key 22) v0-4: a producer id for idempotence, or for a transactional id
 * an epoch bump that fences the previous producer.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type InitProducerIdRequestV4, type InitProducerIdResponseV4 } from '../../../protocol/messages/generated/init-producer-id/v4.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { toNumber } from '../wire.ts'
import { txnErrorCode } from './txn-util.ts'

export async function handleInitProducerId(ctx: RequestContext, body: unknown): Promise<InitProducerIdResponseV4> {
  const req = body as Loose<InitProducerIdRequestV4>
  try {
    const r = await ctx.server.broker.transactions.coordinator.initProducerId({
      transactionalId: req.transactionalId ?? null,
      transactionTimeoutMs: req.transactionTimeoutMs ?? 60_000,
      producerId: toNumber(req.producerId, -1),
      producerEpoch: req.producerEpoch ?? -1,
    })
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, producerId: BigInt(r.producerId), producerEpoch: r.producerEpoch }
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: txnErrorCode(e, 4, ctx.apiVersion), producerId: -1n, producerEpoch: -1 }
  }
}
