/**
 * @module SASL tokens without Kafka framing: after SaslHandshake v0 the client sends each token as
 * a size-prefixed blob and expects the server's the same way (the pre-KIP-152 exchange). A failed
 * exchange closes the connection, which is all that format can say.
 */
import { type ConnectionState, type ServerContext } from '../context.ts'
import { type Outcome } from '../dispatcher.ts'
import { type SaslExchange, type SaslStep } from './authenticator.ts'

function frameOf(response: Buffer): Buffer[] {
  const size = Buffer.allocUnsafe(4)
  size.writeInt32BE(response.length, 0)
  return [size, response]
}

export function handleRawSaslToken(_server: ServerContext, connection: ConnectionState, frame: Buffer): Outcome | Promise<Outcome> {
  const exchange = connection.saslExchange as SaslExchange | undefined
  if (exchange === undefined) return { kind: 'close', reason: 'raw SASL token without a handshake' }
  const done = (step: SaslStep): Outcome => {
    if (step.principal !== undefined) {
      connection.principal = step.principal
      connection.rawSaslTokens = false
      connection.saslExchange = undefined
    }
    return { kind: 'respond', chunks: frameOf(step.response) }
  }
  const failed = (): Outcome => ({ kind: 'close', reason: 'SASL authentication failed' })
  try {
    const step = exchange.step(frame.subarray(4))
    return step instanceof Promise ? step.then(done, failed) : done(step)
  } catch {
    return failed()
  }
}
