/**
 * @module From one request frame to its response: header checks, the SASL gate, decoding, the
 * handler of the API, and the encoded response. Anything the protocol cannot answer (a body that
 * does not decode, an unsupported version of an API other than ApiVersions, a request before
 * authentication) closes the connection, as Kafka does.
 */
import { ErrorCode, isTributaryError } from '../../util/errors.ts'
import { KafkaError } from '../../protocol/error-codes.ts'
import { ApiKey, decodeRequest, encodeResponse, getCodec, supportedApiVersions } from '../../protocol/messages/index.ts'
import { type RequestContext, type ConnectionState, type ServerContext, NO_RESPONSE } from './context.ts'
import { HANDLERS } from './handlers/index.ts'

/** What the connection does with one frame's outcome. */
export type Outcome =
  | { kind: 'respond'; chunks: Buffer[]; last?: boolean; written?: () => void }
  | { kind: 'none' }
  | { kind: 'close'; reason: string }

/** APIs a client may call before it has authenticated. */
const PRE_AUTH_APIS: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate])

const close = (reason: string): Outcome => ({ kind: 'close', reason })

/** Kafka answers an ApiVersions request of an unknown version with a v0 body and error 35 (KIP-511). */
function apiVersionsFallback(correlationId: number): Outcome {
  const codec = getCodec(ApiKey.ApiVersions, 0)
  if (codec === undefined) return close('no ApiVersions v0 codec')
  const body = { errorCode: KafkaError.UNSUPPORTED_VERSION, apiKeys: supportedApiVersions() }
  return { kind: 'respond', chunks: encodeResponse(codec, correlationId, body).toBuffers() }
}

/**
 * Handles one whole frame (size prefix included). Returns the outcome, or a promise of it when the
 * handler waits (fetch long poll, group joins, appends). Never throws.
 */
export function handleFrame(server: ServerContext, connection: ConnectionState, frame: Buffer, maxFrameBytes: number): Outcome | Promise<Outcome> {
  if (frame.length < 12) return close('frame shorter than a request header')
  const apiKey = frame.readInt16BE(4)
  const correlationId = frame.readInt32BE(8)
  if (server.sasl !== undefined && connection.principal === undefined && !PRE_AUTH_APIS.has(apiKey)) {
    return close(`API ${apiKey} before authentication`)
  }
  let decoded
  try {
    decoded = decodeRequest(frame, maxFrameBytes)
  } catch (e) {
    if (isTributaryError(e, ErrorCode.UNSUPPORTED_VERSION) && apiKey === ApiKey.ApiVersions) return apiVersionsFallback(correlationId)
    return close(isTributaryError(e) ? e.message : String(e))
  }
  const { header, codec, body } = decoded
  const handler = HANDLERS.get(header.apiKey)
  if (handler === undefined) return close(`API ${header.apiKey} has no handler`)
  const ctx: RequestContext = { server, connection, apiKey: header.apiKey, apiVersion: header.apiVersion, clientId: header.clientId }
  const finish = (response: unknown): Outcome => {
    if (response === NO_RESPONSE) return { kind: 'none' }
    try {
      const chunks = encodeResponse(codec, correlationId, response).toBuffers()
      const out: Outcome = connection.closeAfterResponse ? { kind: 'respond', chunks, last: true } : { kind: 'respond', chunks }
      if (ctx.afterWrite !== undefined) out.written = ctx.afterWrite
      return out
    } catch (e) {
      server.log(`encoding the response to API ${header.apiKey} v${header.apiVersion} failed: ${String(e)}`)
      return close('response encoding failed')
    }
  }
  const fail = (e: unknown): Outcome => {
    // Handlers answer every expected error in the response; what reaches here is a bug or a
    // request the protocol has no error for (acks=0 produce): the client learns of it by the close.
    if (!isTributaryError(e)) server.log(`API ${header.apiKey} v${header.apiVersion} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    return close(isTributaryError(e) ? e.message : 'handler failure')
  }
  let result: unknown
  try {
    result = handler(ctx, body)
  } catch (e) {
    return fail(e)
  }
  if (result instanceof Promise) return result.then(finish, fail)
  return finish(result)
}
