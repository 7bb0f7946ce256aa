/**
 * @module SaslHandshake (key 17) v0-1: picks the mechanism; after v0 the tokens follow without
 * Kafka framing.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type SaslHandshakeRequestV1, type SaslHandshakeResponseV1 } from '../../../protocol/messages/generated/sasl-handshake/v1.ts'
import { type Loose, type RequestContext } from '../context.ts'

export function handleSaslHandshake(ctx: RequestContext, body: unknown): SaslHandshakeResponseV1 {
  const req = body as Loose<SaslHandshakeRequestV1>
  const sasl = ctx.server.sasl
  const conn = ctx.connection
  const mechanisms = [...(sasl?.mechanisms ?? [])]
  if (sasl === undefined) return { errorCode: KafkaError.UNSUPPORTED_SASL_MECHANISM, mechanisms }
  if (conn.principal !== undefined || conn.saslExchange !== undefined) return { errorCode: KafkaError.ILLEGAL_SASL_STATE, mechanisms }
  const mechanism = req.mechanism ?? ''
  if (!mechanisms.includes(mechanism)) return { errorCode: KafkaError.UNSUPPORTED_SASL_MECHANISM, mechanisms }
  conn.saslMechanism = mechanism
  conn.saslExchange = sasl.start(mechanism)
  if (ctx.apiVersion === 0) conn.rawSaslTokens = true
  return { errorCode: KafkaError.NONE, mechanisms }
}
