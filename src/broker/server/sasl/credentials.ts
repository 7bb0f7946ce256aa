/**
 * @module SASL users, stored as SCRAM credentials only (RFC 5802: salt, iteration count, StoredKey,
 * ServerKey), never as passwords. The users file is JSON:
 *
 *   { "users": { "alice": { "SCRAM-SHA-256": { "salt": b64, "iterations": 4096, "storedKey": b64, "serverKey": b64 },
 *                           "SCRAM-SHA-512": { ... } } } }
 *
 * `scramCredential` makes an entry from a password. PLAIN checks a password against the same
 * credentials, so a user needs only SCRAM entries.
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { ErrorCode, TributaryError } from '../../../util/errors.ts'

const pbkdf2Async = promisify(pbkdf2)

export const SCRAM_MECHANISMS = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const
export type ScramMechanism = keyof typeof SCRAM_MECHANISMS
/** RFC 7677 asks for at least 4096 iterations. */
export const MIN_ITERATIONS = 4096

export interface ScramCredential {
  salt: Buffer
  iterations: number
  storedKey: Buffer
  serverKey: Buffer
}

export type SaslUsers = ReadonlyMap<string, Partial<Record<ScramMechanism, ScramCredential>>>

export function hashOf(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return SCRAM_MECHANISMS[mechanism]
}

export function keyLength(mechanism: ScramMechanism): number {
  return hashOf(mechanism) === 'sha256' ? 32 : 64
}

export function hmac(hash: string, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest()
}

export function digest(hash: string, data: Buffer): Buffer {
  return createHash(hash).update(data).digest()
}

/** SaltedPassword = Hi(password, salt, i); the slow part, run off the event loop. */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, keyLength(mechanism), hashOf(mechanism))
}

/** StoredKey = H(HMAC(SaltedPassword, "Client Key")). */
export function storedKeyOf(mechanism: ScramMechanism, salted: Buffer): Buffer {
  return digest(hashOf(mechanism), hmac(hashOf(mechanism), salted, 'Client Key'))
}

/** A credential for the users file, from a password. */
export async function scramCredential(mechanism: ScramMechanism, password: string, iterations = MIN_ITERATIONS, salt = randomBytes(24)): Promise<ScramCredential> {
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS) throw new TributaryError(ErrorCode.INVALID_CONFIG, `SCRAM needs at least ${MIN_ITERATIONS} iterations`)
  const salted = await saltedPassword(mechanism, password, salt, iterations)
  return { salt, iterations, storedKey: storedKeyOf(mechanism, salted), serverKey: hmac(hashOf(mechanism), salted, 'Server Key') }
}

/** The JSON form of users, as the users file holds it. */
export function usersToJson(users: SaslUsers): string {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [name, creds] of users) {
    const entry: Record<string, unknown> = {}
    for (const [m, c] of Object.entries(creds)) {
      entry[m] = { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') }
    }
    out[name] = entry
  }
  return JSON.stringify({ users: out }, null, 2)
}

function bad(file: string, why: string): TributaryError {
  return new TributaryError(ErrorCode.INVALID_CONFIG, `SASL users file ${file}: ${why}`)
}

export function parseUsers(text: string, file = 'users'): SaslUsers {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw bad(file, 'not valid JSON')
  }
  const users = (doc as { users?: unknown } | null)?.users
  if (typeof users !== 'object' || users === null || Array.isArray(users)) throw bad(file, 'expected {"users": {...}}')
  const out = new Map<string, Partial<Record<ScramMechanism, ScramCredential>>>()
  for (const [name, entry] of Object.entries(users as Record<string, unknown>)) {
    if (typeof entry !== 'object' || entry === null) throw bad(file, `user '${name}' is not an object`)
    const creds: Partial<Record<ScramMechanism, ScramCredential>> = {}
    for (const [m, c] of Object.entries(entry as Record<string, unknown>)) {
      if (!(m in SCRAM_MECHANISMS)) throw bad(file, `user '${name}': unknown mechanism '${m}' (stored credentials are SCRAM-SHA-256/512)`)
      const cc = c as Record<string, unknown> | null
      const b64 = (k: string): Buffer => {
        const v = cc?.[k]
        if (typeof v !== 'string' || v.length === 0) throw bad(file, `user '${name}' ${m}: '${k}' must be base64`)
        return Buffer.from(v, 'base64')
      }
      const iterations = cc?.['iterations']
      if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < MIN_ITERATIONS) {
        throw bad(file, `user '${name}' ${m}: iterations must be an integer >= ${MIN_ITERATIONS}`)
      }
      const mechanism = m as ScramMechanism
      const cred = { salt: b64('salt'), iterations, storedKey: b64('storedKey'), serverKey: b64('serverKey') }
      if (cred.storedKey.length !== keyLength(mechanism) || cred.serverKey.length !== keyLength(mechanism)) throw bad(file, `user '${name}' ${m}: keys have the wrong length`)
      creds[mechanism] = cred
    }
    out.set(name, creds)
  }
  return out
}

export function loadUsersFile(file: string): SaslUsers {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new TributaryError(ErrorCode.INVALID_CONFIG, `cannot read SASL users file ${file}: ${(e as Error).message}`, { cause: e })
  }
  return parseUsers(text, file)
}
