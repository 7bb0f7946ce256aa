/**
 * @module SASL PLAIN (RFC 4616): one token "authzid NUL user NUL password", checked against the
 * user's stored SCRAM credential (the password is salted and hashed as SCRAM would, then compared
 * in constant time). Only sensible over TLS: the password crosses the wire.
 */
import { timingSafeEqual } from 'node:crypto'
import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { type SaslExchange, type SaslStep } from './authenticator.ts'
import { type SaslUsers, type ScramMechanism, MIN_ITERATIONS, saltedPassword, storedKeyOf } from './credentials.ts'

const EMPTY = Buffer.alloc(0)
const DUMMY_SALT = Buffer.alloc(24, 7)

export class PlainExchange implements SaslExchange {
  readonly #users: SaslUsers
  #done = false

  constructor(users: SaslUsers) {
    this.#users = users
  }

  async step(token: Buffer): Promise<SaslStep> {
    if (this.#done) throw new TributaryError(ErrorCode.AUTHENTICATION_FAILED, 'PLAIN: the exchange is over')
    this.#done = true
    const parts = token.toString('utf8').split('\u0000')
    const [authzid, user, password] = parts
    const fail = (): never => {
      throw new TributaryError(ErrorCode.AUTHENTICATION_FAILED, 'PLAIN: authentication failed')
    }
    if (parts.length !== 3 || user === undefined || password === undefined || user === '') fail()
    const creds = this.#users.get(user as string)
    const mechanism: ScramMechanism = creds?.['SCRAM-SHA-512'] !== undefined ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256'
    const cred = creds?.[mechanism]
    // Unknown users cost the same hashing, so timing does not tell them apart.
    const salted = await saltedPassword(mechanism, password as string, cred?.salt ?? DUMMY_SALT, cred?.iterations ?? MIN_ITERATIONS)
    const stored = storedKeyOf(mechanism, salted)
    const ok = cred !== undefined && stored.length === cred.storedKey.length && timingSafeEqual(stored, cred.storedKey)
    if (!ok || (authzid !== '' && authzid !== user)) fail()
    return { response: EMPTY, principal: user as string }
  }
}
