/**
 * @module What the transaction handlers share: older versions learn of fencing as
 * INVALID_PRODUCER_EPOCH, the code they know (PRODUCER_FENCED came with KIP-588).
 */
import { ErrorCode } from '../../../util/errors.ts'
import { KafkaError } from '../../../protocol/error-codes.ts'
import { errorCodeOf, isCode, isShutdown } from '../wire.ts'

/** The error code for a coordinator failure, as the request's version can express it. */
export function txnErrorCode(e: unknown, fencedFrom: number, version: number): number {
  if (isShutdown(e)) return KafkaError.COORDINATOR_NOT_AVAILABLE
  if (isCode(e, ErrorCode.PRODUCER_FENCED) && version < fencedFrom) return KafkaError.INVALID_PRODUCER_EPOCH
  return errorCodeOf(e)
}
