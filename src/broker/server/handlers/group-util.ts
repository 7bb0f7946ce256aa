/** @module What the group handlers share: their error mapping and when parked requests give up. */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type RequestContext } from '../context.ts'
import { errorCodeOf, isShutdown } from '../wire.ts'

export const EMPTY = Buffer.alloc(0)

export function groupErrorCode(e: unknown): number {
  return isShutdown(e) ? KafkaError.COORDINATOR_NOT_AVAILABLE : errorCodeOf(e)
}

export function signalOf(ctx: RequestContext): AbortSignal {
  return ctx.connection.parkedSignal
}
