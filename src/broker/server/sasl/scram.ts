/**
 * @module SASL SCRAM-SHA-256/512 on the server (RFC 5802, RFC 7677), without channel binding:
 * client-first → server-first (nonce, salt, iterations) → client-final (proof) → server-final
 * (signature). The proof is checked with a constant-time comparison. An unknown user gets a
 * made-up salt derived from a per-process secret, so the exchange looks the same until the end.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { type SaslExchange, type SaslStep } from './authenticator.ts'
import { type SaslUsers, type ScramCredential, type ScramMechanism, MIN_ITERATIONS, digest, hashOf, hmac, keyLength } from './credentials.ts'

const FAKE_SECRET = randomBytes(32)

function failure(why: string): TributaryError {
  return new TributaryError(ErrorCode.AUTHENTICATION_FAILED, `SCRAM: ${why}`)
}

/** saslname: "=2C" is ",", "=3D" is "=", and no other "=" may appear. */
function decodeName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw failure('bad user name encoding')
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of message.split(',')) {
    const eq = part.indexOf('=')
    if (eq !== 1) throw failure('malformed attribute')
    out.set(part.slice(0, 1), part.slice(2))
  }
  return out
}

export class ScramExchange implements SaslExchange {
  readonly #mechanism: ScramMechanism
  readonly #users: SaslUsers
  #stage: 'first' | 'final' | 'done' = 'first'
  #user = ''
  #credential: ScramCredential | undefined
  #fake: ScramCredential | undefined
  #gs2Header = ''
  #nonce = ''
  #clientFirstBare = ''
  #serverFirst = ''

  readonly #serverNonce: string | undefined

  /** `serverNonce` is for tests against published vectors; by default each exchange draws a fresh one. */
  constructor(mechanism: ScramMechanism, users: SaslUsers, serverNonce?: string) {
    this.#mechanism = mechanism
    this.#users = users
    this.#serverNonce = serverNonce
  }

  step(token: Buffer): SaslStep {
    const message = token.toString('utf8')
    if (this.#stage === 'first') return this.#first(message)
    if (this.#stage === 'final') return this.#final(message)
    throw failure('the exchange is over')
  }

  #first(message: string): SaslStep {
    // gs2-header: "n" or "y" (no channel binding), then an optional authzid, then the bare message.
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message)
    if (m === null) throw failure('channel binding is not supported, or the first message is malformed')
    const bare = m[3] as string
    const attrs = attributes(bare)
    const user = decodeName(attrs.get('n') ?? '')
    const clientNonce = attrs.get('r') ?? ''
    if (user === '' || clientNonce === '' || /[^\x21-\x2b\x2d-\x7e]/.test(clientNonce)) throw failure('missing user name or nonce')
    const authzid = m[2] === undefined ? '' : decodeName(m[2].slice(2))
    if (authzid !== '' && authzid !== user) throw failure('authorization identity differs from the user')
    this.#user = user
    this.#gs2Header = message.slice(0, message.length - bare.length)
    this.#clientFirstBare = bare
    this.#nonce = clientNonce + (this.#serverNonce ?? randomBytes(18).toString('base64'))
    this.#credential = this.#users.get(user)?.[this.#mechanism]
    const shown = this.#credential ?? this.#fakeCredential(user)
    this.#serverFirst = `r=${this.#nonce},s=${shown.salt.toString('base64')},i=${shown.iterations}`
    this.#stage = 'final'
    return { response: Buffer.from(this.#serverFirst, 'utf8') }
  }

  #final(message: string): SaslStep {
    this.#stage = 'done'
    const p = message.lastIndexOf(',p=')
    if (p < 0) throw failure('no proof')
    const withoutProof = message.slice(0, p)
    const attrs = attributes(withoutProof)
    if (attrs.get('c') !== Buffer.from(this.#gs2Header, 'utf8').toString('base64')) throw failure('channel binding data does not match')
    // Kafka accepts a nonce that ends with the server's, and librdkafka relies on it (it sends the
    // client nonce, then the whole server nonce, which already starts with the client nonce).
    if (!(attrs.get('r') ?? '').endsWith(this.#nonce)) throw failure('nonce does not match')
    const proof = Buffer.from(message.slice(p + 3), 'base64')
    const cred = this.#credential ?? this.#fakeCredential(this.#user)
    const hash = hashOf(this.#mechanism)
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`
    const signature = hmac(hash, cred.storedKey, authMessage)
    const ok = proof.length === signature.length && timingSafeEqual(digest(hash, xor(proof, signature)), cred.storedKey)
    if (!ok || this.#credential === undefined) throw failure('authentication failed')
    return { response: Buffer.from(`v=${hmac(hash, cred.serverKey, authMessage).toString('base64')}`, 'utf8'), principal: this.#user }
  }

  #fakeCredential(user: string): ScramCredential {
    this.#fake ??= {
      salt: hmac('sha256', FAKE_SECRET, `salt:${user}`).subarray(0, 24),
      iterations: MIN_ITERATIONS,
      storedKey: hmac(hashOf(this.#mechanism), FAKE_SECRET, `stored:${user}`).subarray(0, keyLength(this.#mechanism)),
      serverKey: hmac(hashOf(this.#mechanism), FAKE_SECRET, `server:${user}`).subarray(0, keyLength(this.#mechanism)),
    }
    return this.#fake
  }
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length)
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number)
  return out
}
