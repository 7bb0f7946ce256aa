/** @module Heartbeat (key 12) v0-4: REBALANCE_IN_PROGRESS tells the member to rejoin. */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type HeartbeatRequestV4, type HeartbeatResponseV4 } from '../../../protocol/messages/generated/heartbeat/v4.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { groupErrorCode } from './group-util.ts'

export function handleHeartbeat(ctx: RequestContext, body: unknown): HeartbeatResponseV4 {
  const req = body as Loose<HeartbeatRequestV4>
  try {
    ctx.server.broker.groups.heartbeat(req.groupId ?? '', req.memberId ?? '', req.generationId ?? -1)
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE }
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: groupErrorCode(e) }
  }
}
