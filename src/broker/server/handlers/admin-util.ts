/**
 * @module What the topic administration handlers share: one node's replica rules and their error
 * mapping.
 */
import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type RequestContext } from '../context.ts'
import { errorCodeOf } from '../wire.ts'

/** Kafka's ConfigSource TOPIC_CONFIG: the value applies to this topic. */
export const TOPIC_CONFIG_SOURCE = 1

export function fail(code: ErrorCode, message: string): never {
  throw new TributaryError(code, message)
}

export function checkNodes(ctx: RequestContext, brokerIds: readonly number[] | undefined): void {
  if (brokerIds === undefined || brokerIds.length !== 1 || brokerIds[0] !== ctx.server.nodeId) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `replicas must be [${ctx.server.nodeId}]: this cluster has one node`, {
      details: { kafkaCode: KafkaError.INVALID_REPLICA_ASSIGNMENT },
    })
  }
}

/** Admin errors: a Kafka code chosen where it was thrown, bad requests as INVALID_REQUEST. */
export function adminErrorCode(e: unknown): number {
  if (!(e instanceof TributaryError)) return errorCodeOf(e)
  const special = e.details['kafkaCode']
  if (typeof special === 'number') return special
  return e.code === ErrorCode.INVALID_ARGUMENT ? KafkaError.INVALID_REQUEST : errorCodeOf(e)
}
