/**
 * @module The SASL contract the connection uses: a mechanism starts an exchange, and each client
 * token gets a server token until the exchange is done (with the authenticated user) or fails
 * with AUTHENTICATION_FAILED.
 */
import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { SCRAM_MECHANISMS, type SaslUsers, type ScramMechanism } from './credentials.ts'
import { PlainExchange } from './plain.ts'
import { ScramExchange } from './scram.ts'

export interface SaslStep {
  /** Bytes for the client (empty for PLAIN). */
  response: Buffer
  /** Set when the exchange has succeeded. */
  principal?: string
}

export interface SaslExchange {
  step(token: Buffer): SaslStep | Promise<SaslStep>
}

export interface SaslAuthenticator {
  /** Names as Kafka spells them: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. */
  readonly mechanisms: readonly string[]
  start(mechanism: string): SaslExchange
}

/** An authenticator over stored users, offering the given mechanisms (default all three). */
export function createSaslAuthenticator(users: SaslUsers, mechanisms: readonly string[] = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN']): SaslAuthenticator {
  for (const m of mechanisms) {
    if (m !== 'PLAIN' && !(m in SCRAM_MECHANISMS)) throw new TributaryError(ErrorCode.INVALID_CONFIG, `unknown SASL mechanism '${m}'`)
  }
  return {
    mechanisms: [...mechanisms],
    start(mechanism: string): SaslExchange {
      if (mechanism === 'PLAIN') return new PlainExchange(users)
      return new ScramExchange(mechanism as ScramMechanism, users)
    },
  }
}
