/**
 * @module Errors of @platformatic/kafka (protocol errors carried in responses, network, timeout,
 * authentication) turned into TributaryError codes, so callers branch on the same codes as with the
 * embedded client. Kafka's UNKNOWN_TOPIC_OR_PARTITION covers two of ours: the caller says which.
 */
import { type ErrorCode as ErrorCodeType, ErrorCode, TributaryError } from '../../util/errors.ts'

/** Kafka error names (as the library reports them in `apiId`) to our codes. */
const BY_KAFKA_NAME: Record<string, ErrorCodeType> = {
  OFFSET_OUT_OF_RANGE: ErrorCode.OFFSET_OUT_OF_RANGE,
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_RECORD,
  UNKNOWN_TOPIC_OR_PARTITION: ErrorCode.UNKNOWN_TOPIC,
  UNKNOWN_TOPIC_ID: ErrorCode.UNKNOWN_TOPIC,
  MESSAGE_TOO_LARGE: ErrorCode.RECORD_TOO_LARGE,
  RECORD_LIST_TOO_LARGE: ErrorCode.RECORD_TOO_LARGE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  REQUEST_TIMED_OUT: ErrorCode.TIMEOUT,
  NETWORK_EXCEPTION: ErrorCode.NETWORK_ERROR,
  COORDINATOR_LOAD_IN_PROGRESS: ErrorCode.NETWORK_ERROR,
  COORDINATOR_NOT_AVAILABLE: ErrorCode.NETWORK_ERROR,
  NOT_COORDINATOR: ErrorCode.NETWORK_ERROR,
  LEADER_NOT_AVAILABLE: ErrorCode.NETWORK_ERROR,
  NOT_LEADER_OR_FOLLOWER: ErrorCode.NETWORK_ERROR,
  INVALID_TOPIC_EXCEPTION: ErrorCode.INVALID_TOPIC_NAME,
  ILLEGAL_GENERATION: ErrorCode.ILLEGAL_GENERATION,
  INCONSISTENT_GROUP_PROTOCOL: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  INVALID_GROUP_ID: ErrorCode.INVALID_GROUP_ID,
  UNKNOWN_MEMBER_ID: ErrorCode.UNKNOWN_MEMBER_ID,
  INVALID_SESSION_TIMEOUT: ErrorCode.INVALID_SESSION_TIMEOUT,
  REBALANCE_IN_PROGRESS: ErrorCode.REBALANCE_IN_PROGRESS,
  MEMBER_ID_REQUIRED: ErrorCode.MEMBER_ID_REQUIRED,
  FENCED_INSTANCE_ID: ErrorCode.FENCED_INSTANCE_ID,
  OFFSET_METADATA_TOO_LARGE: ErrorCode.OFFSET_METADATA_TOO_LARGE,
  GROUP_ID_NOT_FOUND: ErrorCode.UNKNOWN_GROUP,
  NON_EMPTY_GROUP: ErrorCode.GROUP_NOT_EMPTY,
  TOPIC_ALREADY_EXISTS: ErrorCode.TOPIC_ALREADY_EXISTS,
  INVALID_PARTITIONS: ErrorCode.INVALID_PARTITIONS,
  INVALID_REPLICATION_FACTOR: ErrorCode.INVALID_ARGUMENT,
  INVALID_CONFIG: ErrorCode.INVALID_CONFIG,
  INVALID_REQUEST: ErrorCode.PROTOCOL_ERROR,
  POLICY_VIOLATION: ErrorCode.INVALID_CONFIG,
  UNSUPPORTED_VERSION: ErrorCode.UNSUPPORTED_VERSION,
  UNSUPPORTED_COMPRESSION_TYPE: ErrorCode.UNSUPPORTED_COMPRESSION,
  KAFKA_STORAGE_ERROR: ErrorCode.STORAGE_ERROR,
  OUT_OF_ORDER_SEQUENCE_NUMBER: ErrorCode.OUT_OF_ORDER_SEQUENCE,
  DUPLICATE_SEQUENCE_NUMBER: ErrorCode.DUPLICATE_SEQUENCE,
  INVALID_PRODUCER_EPOCH: ErrorCode.INVALID_PRODUCER_EPOCH,
  PRODUCER_FENCED: ErrorCode.PRODUCER_FENCED,
  INVALID_TXN_STATE: ErrorCode.INVALID_TXN_STATE,
  INVALID_PRODUCER_ID_MAPPING: ErrorCode.INVALID_TXN_STATE,
  SASL_AUTHENTICATION_FAILED: ErrorCode.AUTHENTICATION_FAILED,
  UNSUPPORTED_SASL_MECHANISM: ErrorCode.AUTHENTICATION_FAILED,
  ILLEGAL_SASL_STATE: ErrorCode.AUTHENTICATION_FAILED,
}

/** The library's own error classes (its `code` property) to ours. */
const BY_LIBRARY_CODE: Record<string, ErrorCodeType> = {
  PLT_KFK_AUTHENTICATION: ErrorCode.AUTHENTICATION_FAILED,
  PLT_KFK_NETWORK: ErrorCode.NETWORK_ERROR,
  PLT_KFK_TIMEOUT: ErrorCode.TIMEOUT,
  PLT_KFK_UNSUPPORTED_API: ErrorCode.UNSUPPORTED_VERSION,
  PLT_KFK_UNSUPPORTED_COMPRESSION: ErrorCode.UNSUPPORTED_COMPRESSION,
  PLT_KFK_UNSUPPORTED_FORMAT: ErrorCode.PROTOCOL_ERROR,
  PLT_KFK_UNSUPPORTED: ErrorCode.NOT_SUPPORTED,
  PLT_KFK_OUT_OF_BOUNDS: ErrorCode.PROTOCOL_ERROR,
  PLT_KFK_UNEXPECTED_CORRELATION_ID: ErrorCode.PROTOCOL_ERROR,
  PLT_KFK_USER: ErrorCode.INVALID_ARGUMENT,
}

const RETRIABLE = new Set<ErrorCodeType>([
  ErrorCode.NETWORK_ERROR,
  ErrorCode.TIMEOUT,
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.MEMBER_ID_REQUIRED,
])

interface LibraryError {
  code?: unknown
  apiId?: unknown
  memberId?: unknown
  message?: unknown
  serverErrorMessage?: unknown
  errors?: unknown
}

/** Library errors nested in `err`, outermost first: retry attempts (latest first), then causes. */
function* chain(err: unknown, depth = 0): Generator<LibraryError> {
  if (typeof err !== 'object' || err === null || depth > 8) return
  const e = err as LibraryError & { cause?: unknown }
  yield e
  if (Array.isArray(e.errors)) for (let i = e.errors.length - 1; i >= 0; i--) yield* chain(e.errors[i], depth + 1)
  if (e.cause !== undefined) yield* chain(e.cause, depth + 1)
}

/**
 * The most specific error: the first Kafka protocol error in the chain (a connection that failed
 * because SASL was refused carries the SaslAuthenticate error as its cause), else the innermost.
 */
function innermost(err: unknown): LibraryError | undefined {
  let auth: LibraryError | undefined
  let first: LibraryError | undefined
  for (const e of chain(err)) {
    if (typeof e.apiId === 'string') return e
    if (e.code === 'PLT_KFK_AUTHENTICATION') auth ??= e
    if (typeof e.code === 'string' && e.code !== 'PLT_KFK_MULTIPLE') first ??= e
  }
  return auth ?? first ?? (typeof err === 'object' && err !== null ? (err as LibraryError) : undefined)
}

/** The Kafka error name (e.g. 'REBALANCE_IN_PROGRESS') inside a library error, if any. */
export function kafkaErrorId(err: unknown): string | undefined {
  const found = innermost(err)
  return typeof found?.apiId === 'string' ? found.apiId : undefined
}

/** A TributaryError for a Kafka error code name, with `what` saying which request failed. */
export function kafkaError(name: string, what: string, cause?: unknown): TributaryError {
  const code = BY_KAFKA_NAME[name] ?? ErrorCode.PROTOCOL_ERROR
  return new TributaryError(code, `${what}: ${name}`, { retriable: RETRIABLE.has(code), ...(cause === undefined ? {} : { cause }), details: { kafkaError: name } })
}

/**
 * Normalizes anything the library threw. `unknown` replaces UNKNOWN_TOPIC when the request was
 * about partitions of a known topic (Kafka uses one code for both).
 */
export function fromKafka(err: unknown, what: string, unknown?: ErrorCodeType): TributaryError {
  if (err instanceof TributaryError) return err
  const found = innermost(err)
  const message = typeof found?.message === 'string' ? found.message : String(err)
  if (typeof found?.apiId === 'string') {
    const mapped = kafkaError(found.apiId, what, err)
    const server = typeof found.serverErrorMessage === 'string' ? ` (${found.serverErrorMessage})` : ''
    const code = unknown !== undefined && mapped.code === ErrorCode.UNKNOWN_TOPIC ? unknown : mapped.code
    const details: Record<string, unknown> = { kafkaError: found.apiId }
    if (typeof found.memberId === 'string') details['memberId'] = found.memberId
    return new TributaryError(code, `${what}: ${found.apiId}${server}`, { cause: err, retriable: mapped.retriable, details })
  }
  const raw = typeof found?.code === 'string' ? found.code : ''
  // Library errors by class; socket errors (ECONNREFUSED, ...) are network errors; anything else is a bug.
  const code = raw.startsWith('PLT_KFK_') ? (BY_LIBRARY_CODE[raw] ?? ErrorCode.PROTOCOL_ERROR) : /^E[A-Z]+$/.test(raw) ? ErrorCode.NETWORK_ERROR : ErrorCode.ILLEGAL_STATE
  return new TributaryError(code, `${what}: ${message}`, { cause: err, retriable: RETRIABLE.has(code) })
}
