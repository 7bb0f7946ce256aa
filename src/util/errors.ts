/**
 * @module One error class for the whole project; `code` says what went wrong.
 * Callers branch on `code`, never on message text.
 */

export const ErrorCode = {
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_CONFIG: 'INVALID_CONFIG',
  INVALID_TOPIC_NAME: 'INVALID_TOPIC_NAME',
  TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
  UNKNOWN_TOPIC: 'UNKNOWN_TOPIC',
  UNKNOWN_PARTITION: 'UNKNOWN_PARTITION',
  INVALID_PARTITIONS: 'INVALID_PARTITIONS',
  RECORD_TOO_LARGE: 'RECORD_TOO_LARGE',
  CORRUPT_RECORD: 'CORRUPT_RECORD',
  INVALID_RECORD: 'INVALID_RECORD',
  UNSUPPORTED_COMPRESSION: 'UNSUPPORTED_COMPRESSION',
  CORRUPT_LOG: 'CORRUPT_LOG',
  LOG_LOCKED: 'LOG_LOCKED',
  STORAGE_ERROR: 'STORAGE_ERROR',
  OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  UNKNOWN_GROUP: 'UNKNOWN_GROUP',
  GROUP_NOT_EMPTY: 'GROUP_NOT_EMPTY',
  UNKNOWN_MEMBER_ID: 'UNKNOWN_MEMBER_ID',
  MEMBER_ID_REQUIRED: 'MEMBER_ID_REQUIRED',
  ILLEGAL_GENERATION: 'ILLEGAL_GENERATION',
  REBALANCE_IN_PROGRESS: 'REBALANCE_IN_PROGRESS',
  INCONSISTENT_GROUP_PROTOCOL: 'INCONSISTENT_GROUP_PROTOCOL',
  INVALID_SESSION_TIMEOUT: 'INVALID_SESSION_TIMEOUT',
  INVALID_PRODUCER_EPOCH: 'INVALID_PRODUCER_EPOCH',
  PRODUCER_FENCED: 'PRODUCER_FENCED',
  OUT_OF_ORDER_SEQUENCE: 'OUT_OF_ORDER_SEQUENCE',
  DUPLICATE_SEQUENCE: 'DUPLICATE_SEQUENCE',
  INVALID_TXN_STATE: 'INVALID_TXN_STATE',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  NETWORK_ERROR: 'NETWORK_ERROR',
  AUTHENTICATION_FAILED: 'AUTHENTICATION_FAILED',
  TIMEOUT: 'TIMEOUT',
  ABORTED: 'ABORTED',
  CLOSED: 'CLOSED',
  ILLEGAL_STATE: 'ILLEGAL_STATE',
  STATE_ERROR: 'STATE_ERROR',
  NOT_SUPPORTED: 'NOT_SUPPORTED',
  INVALID_GROUP_ID: 'INVALID_GROUP_ID',
  FENCED_INSTANCE_ID: 'FENCED_INSTANCE_ID',
  OFFSET_METADATA_TOO_LARGE: 'OFFSET_METADATA_TOO_LARGE',
  INVALID_PRODUCER_ID_MAPPING: 'INVALID_PRODUCER_ID_MAPPING',
  INVALID_TRANSACTION_TIMEOUT: 'INVALID_TRANSACTION_TIMEOUT',
  CONCURRENT_TRANSACTIONS: 'CONCURRENT_TRANSACTIONS',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export interface TributaryErrorOptions {
  cause?: unknown
  /** True when retrying the same call may succeed (a rebalance, a timeout). */
  retriable?: boolean
  details?: Record<string, unknown>
}

export class TributaryError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean
  readonly details: Record<string, unknown>

  constructor(code: ErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TributaryError'
    this.code = code
    this.retriable = options.retriable ?? false
    this.details = options.details ?? {}
  }
}

export function isTributaryError(err: unknown, code?: ErrorCode): err is TributaryError {
  return err instanceof TributaryError && (code === undefined || err.code === code)
}

/** Normalizes anything thrown into a TributaryError at a boundary (CLI, server). */
export function toTributaryError(err: unknown, fallback: ErrorCode = ErrorCode.ILLEGAL_STATE): TributaryError {
  if (err instanceof TributaryError) return err
  if (err instanceof Error) return new TributaryError(fallback, err.message, { cause: err })
  return new TributaryError(fallback, String(err))
}
