/** @module AddOffsetsToTxn (key 25) v0-3: a group whose offsets the transaction will commit. */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type AddOffsetsToTxnRequestV3, type AddOffsetsToTxnResponseV3 } from '../../../protocol/messages/generated/add-offsets-to-txn/v3.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { toNumber } from '../wire.ts'
import { txnErrorCode } from './txn-util.ts'

export async function handleAddOffsetsToTxn(ctx: RequestContext, body: unknown): Promise<AddOffsetsToTxnResponseV3> {
  const req = body as Loose<AddOffsetsToTxnRequestV3>
  try {
    await ctx.server.broker.transactions.coordinator.addOffsets(req.transactionalId ?? '', toNumber(req.producerId, -1), req.producerEpoch ?? -1, req.groupId ?? '')
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE }
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: txnErrorCode(e, 2, ctx.apiVersion) }
  }
}
