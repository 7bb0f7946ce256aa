/**
 * @module Small conversions shared by the handlers: errors to Kafka error codes, int64 fields
 * (bigint on the wire) to JS numbers and back, and the request defaults of older versions.
 */
import { ErrorCode, type TributaryError, isTributaryError } from '../../util/errors.ts'
import { KafkaError, kafkaErrorFor } from '../../protocol/error-codes.ts'

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

/** The Kafka error code for anything a broker call threw. */
export function errorCodeOf(e: unknown): number {
  return isTributaryError(e) ? kafkaErrorFor(e.code) : KafkaError.UNKNOWN_SERVER_ERROR
}

/** A message safe to send back: ours for TributaryErrors, nothing for anything else. */
export function errorMessageOf(e: unknown): string | null {
  return isTributaryError(e) ? e.message : null
}

/** Whether `e` is one of the given error codes. */
export function isCode(e: unknown, ...codes: ErrorCode[]): e is TributaryError {
  return isTributaryError(e) && codes.includes(e.code)
}

/** Offsets, timestamps and producer ids as numbers: exact below 2^53, which real values are. */
export function toNumber(v: bigint | undefined, fallback: number): number {
  if (v === undefined) return fallback
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.NaN
  return Number(v)
}

export function big(n: number): bigint {
  return BigInt(n)
}

/** Errors a parked group request gets when the server or the connection goes away. */
export function isShutdown(e: unknown): boolean {
  return isCode(e, ErrorCode.ABORTED, ErrorCode.CLOSED)
}
