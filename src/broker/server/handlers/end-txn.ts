/** @module EndTxn (key 26) v0-3: commit or abort; answered once the markers and offsets are durable. */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type EndTxnRequestV3, type EndTxnResponseV3 } from '../../../protocol/messages/generated/end-txn/v3.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { toNumber } from '../wire.ts'
import { txnErrorCode } from './txn-util.ts'

export async function handleEndTxn(ctx: RequestContext, body: unknown): Promise<EndTxnResponseV3> {
  const req = body as Loose<EndTxnRequestV3>
  try {
    await ctx.server.broker.transactions.coordinator.endTxn(req.transactionalId ?? '', toNumber(req.producerId, -1), req.producerEpoch ?? -1, req.committed ?? false)
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE }
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: txnErrorCode(e, 2, ctx.apiVersion) }
  }
}
