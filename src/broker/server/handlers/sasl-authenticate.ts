/**
 * @module SaslAuthenticate (key 36) v0-2: one token of the exchange per request. A failure is
 * answered with SASL_AUTHENTICATION_FAILED, then the connection is closed, as Kafka does.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type SaslAuthenticateRequestV2, type SaslAuthenticateResponseV2 } from '../../../protocol/messages/generated/sasl-authenticate/v2.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { type SaslExchange, type SaslStep } from '../sasl/authenticator.ts'

const EMPTY = Buffer.alloc(0)

export async function handleSaslAuthenticate(ctx: RequestContext, body: unknown): Promise<SaslAuthenticateResponseV2> {
  const req = body as Loose<SaslAuthenticateRequestV2>
  const conn = ctx.connection
  const exchange = conn.saslExchange as SaslExchange | undefined
  const refuse = (errorCode: number, errorMessage: string): SaslAuthenticateResponseV2 => {
    conn.closeAfterResponse = true
    conn.saslExchange = undefined
    return { errorCode, errorMessage, authBytes: EMPTY, sessionLifetimeMs: 0n }
  }
  if (exchange === undefined || conn.principal !== undefined) return refuse(KafkaError.ILLEGAL_SASL_STATE, 'SaslAuthenticate without a SaslHandshake')
  let step: SaslStep
  try {
    step = await exchange.step(req.authBytes ?? EMPTY)
  } catch {
    // One message for every failure: the client learns nothing about which part was wrong.
    return refuse(KafkaError.SASL_AUTHENTICATION_FAILED, `authentication failed with ${conn.saslMechanism ?? 'SASL'}`)
  }
  if (step.principal !== undefined) {
    conn.principal = step.principal
    conn.saslExchange = undefined
  }
  return { errorCode: KafkaError.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: 0n }
}
