// Security: SCRAM against the RFC 7677 vector, SASL PLAIN and SCRAM-SHA-256/512 through kafkajs (an
// independent client implementation) and through raw frames, the gate before authentication, the
// pre-authentication frame cap, and TLS with a certificate made by openssl for the test.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { KafkaError } from '../../protocol/error-codes.ts'
import { API_CODECS } from '../../protocol/messages/index.ts'
import { decodeRecordBatch } from '../../protocol/records/record-batch.ts'
import { createSaslAuthenticator } from './sasl/authenticator.ts'
import { type SaslUsers, parseUsers, scramCredential, usersToJson } from './sasl/credentials.ts'
import { ScramExchange } from './sasl/scram.ts'
import { type RawKafkaClient, type TestServer, batchOf, startTestServer } from './server-test-support.ts'

const C = API_CODECS
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1'

test('SCRAM-SHA-256 follows the RFC 7677 example exchange byte for byte', async () => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64')
  const users: SaslUsers = new Map([['user', { 'SCRAM-SHA-256': await scramCredential('SCRAM-SHA-256', 'pencil', 4096, salt) }]])
  const exchange = new ScramExchange('SCRAM-SHA-256', users, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0')
  const first = exchange.step(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))
  assert.equal(first.response.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')
  const final = exchange.step(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='))
  assert.equal(final.response.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')
  assert.equal(final.principal, 'user')
  const wrong = new ScramExchange('SCRAM-SHA-256', users, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0')
  wrong.step(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))
  assert.throws(() => wrong.step(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')), /authentication failed/)
})

test('SCRAM accepts the client-final nonce librdkafka sends (client nonce + server nonce), checked by the proof', async () => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64')
  const users: SaslUsers = new Map([['user', { 'SCRAM-SHA-256': await scramCredential('SCRAM-SHA-256', 'pencil', 4096, salt) }]])
  const exchange = new ScramExchange('SCRAM-SHA-256', users, 'SERVERNONCE')
  const cnonce = 'clientnonce'
  const bare = `n=user,r=${cnonce}`
  const serverFirst = exchange.step(Buffer.from(`n,,${bare}`)).response.toString()
  const serverNonce = /r=([^,]+)/.exec(serverFirst)?.[1] ?? ''
  // The client side, computed here with node:crypto directly (RFC 5802 section 3).
  const salted = crypto.pbkdf2Sync('pencil', salt, 4096, 32, 'sha256')
  const clientKey = crypto.createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = crypto.createHash('sha256').update(clientKey).digest()
  const withoutProof = `c=biws,r=${cnonce}${serverNonce}`
  const authMessage = `${bare},${serverFirst},${withoutProof}`
  const signature = crypto.createHmac('sha256', storedKey).update(authMessage).digest()
  const proof = Buffer.from(clientKey.map((b, i) => b ^ (signature[i] as number)))
  const final = exchange.step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`))
  const serverKey = crypto.createHmac('sha256', salted).update('Server Key').digest()
  assert.equal(final.response.toString(), `v=${crypto.createHmac('sha256', serverKey).update(authMessage).digest('base64')}`)
  assert.equal(final.principal, 'user')
  // A nonce that does not end with the server's is refused before the proof is looked at.
  const other = new ScramExchange('SCRAM-SHA-256', users, 'SERVERNONCE')
  other.step(Buffer.from(`n,,${bare}`))
  assert.throws(() => other.step(Buffer.from(`c=biws,r=${cnonce}SOMETHINGELSE,p=${proof.toString('base64')}`)), /nonce/)
})

test('the users file keeps salted credentials only and refuses weak iteration counts', async () => {
  const users: SaslUsers = new Map([['bob', { 'SCRAM-SHA-512': await scramCredential('SCRAM-SHA-512', 'hunter2') }]])
  const json = usersToJson(users)
  assert.ok(!json.includes('hunter2'))
  const back = parseUsers(json)
  assert.deepEqual(back.get('bob')?.['SCRAM-SHA-512']?.storedKey, users.get('bob')?.['SCRAM-SHA-512']?.storedKey)
  const weak = JSON.parse(json) as { users: { bob: { 'SCRAM-SHA-512': { iterations: number } } } }
  weak.users.bob['SCRAM-SHA-512'].iterations = 1000
  assert.throws(() => parseUsers(JSON.stringify(weak)), /iterations/)
  await assert.rejects(scramCredential('SCRAM-SHA-256', 'x', 10), /4096/)
})

describe('SASL', () => {
  let ts: TestServer
  before(async () => {
    const users: SaslUsers = new Map([
      ['alice', { 'SCRAM-SHA-256': await scramCredential('SCRAM-SHA-256', 'alice-secret'), 'SCRAM-SHA-512': await scramCredential('SCRAM-SHA-512', 'alice-secret') }],
    ])
    ts = await startTestServer({ server: { sasl: createSaslAuthenticator(users) } })
    await ts.broker.createTopic('secure')
  })
  after(async () => {
    await ts.close()
  })

  const kafkajs = (mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', password: string) =>
    new Kafka({ brokers: [`127.0.0.1:${ts.port}`], clientId: 'sasl-test', logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism, username: 'alice', password } as never })

  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    test(`kafkajs authenticates with ${mechanism}, and a wrong password is refused`, async () => {
      const admin = kafkajs(mechanism, 'alice-secret').admin()
      await admin.connect()
      assert.ok((await admin.listTopics()).includes('secure'))
      await admin.disconnect()
      const bad = kafkajs(mechanism, 'not-her-password').admin()
      await assert.rejects(bad.connect(), /SASL|authentication/i)
      await bad.disconnect()
    })
  }

  async function authenticatePlain(c: RawKafkaClient, password: string) {
    const hs = await c.call(C.SaslHandshake[1], { mechanism: 'PLAIN' })
    assert.equal(hs.errorCode, KafkaError.NONE)
    return c.call(C.SaslAuthenticate[2], { authBytes: Buffer.from(`\u0000alice\u0000${password}`) })
  }

  test('before authentication only ApiVersions and SASL are answered; anything else closes the connection', async () => {
    const c = await ts.connect()
    const versions = await c.call(C.ApiVersions[3], { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    assert.equal(versions.errorCode, KafkaError.NONE)
    c.send(C.Metadata[12], { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    await c.closed
    assert.equal(ts.broker.describeTopic('secure').partitions[0]?.logEndOffset, 0)
  })

  test('unknown mechanisms get the list; a failed authentication is answered, then the connection closes', async () => {
    const c = await ts.connect()
    const hs = await c.call(C.SaslHandshake[1], { mechanism: 'GSSAPI' })
    assert.equal(hs.errorCode, KafkaError.UNSUPPORTED_SASL_MECHANISM)
    assert.deepEqual([...hs.mechanisms].sort(), ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])
    const res = await authenticatePlain(c, 'wrong')
    assert.equal(res.errorCode, KafkaError.SASL_AUTHENTICATION_FAILED)
    await c.closed
  })

  test('the frame cap is small before authentication and the full one after', async () => {
    const big = batchOf(['x'.repeat(100 * 1024)])
    const produce = { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'secure', partitionData: [{ index: 0, records: big }] }] }
    const early = await ts.connect()
    early.send(C.Produce[9], produce)
    await early.closed
    const c = await ts.connect()
    assert.equal((await authenticatePlain(c, 'alice-secret')).errorCode, KafkaError.NONE)
    const res = await c.call(C.Produce[9], produce)
    assert.equal(res.responses[0]?.partitionResponses[0]?.errorCode, KafkaError.NONE)
    assert.equal(ts.broker.describeTopic('secure').partitions[0]?.logEndOffset, 1)
    c.close()
  })

  test('SaslHandshake v0 is followed by raw SASL tokens', async () => {
    const c = await ts.connect()
    const hs = await c.call(C.SaslHandshake[0], { mechanism: 'PLAIN' })
    assert.equal(hs.errorCode, KafkaError.NONE)
    const token = Buffer.from('\u0000alice\u0000alice-secret')
    const frame = Buffer.alloc(4 + token.length)
    frame.writeInt32BE(token.length, 0)
    token.copy(frame, 4)
    c.sendRaw(frame)
    assert.equal((await c.readFrame()).length, 4, 'an empty raw response')
    const meta = await c.call(C.Metadata[1], { topics: [{ name: 'secure' }] })
    assert.equal(meta.topics[0]?.errorCode, KafkaError.NONE)
    c.close()
  })
})

describe('TLS', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-tls-'))
  const key = path.join(dir, 'key.pem')
  const cert = path.join(dir, 'cert.pem')
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  const haveOpenssl = made.status === 0
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  test('produce and fetch round trip over TLS', { skip: haveOpenssl ? false : 'openssl is not available to make a test certificate' }, async () => {
    const ts = await startTestServer({ server: { tls: { keyFile: key, certFile: cert } } })
    try {
      await ts.broker.createTopic('tls-t')
      const c = await ts.connect({ tls: { ca: fs.readFileSync(cert), servername: '127.0.0.1' } })
      const produced = await c.call(C.Produce[9], { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'tls-t', partitionData: [{ index: 0, records: batchOf(['over tls']) }] }] })
      assert.equal(produced.responses[0]?.partitionResponses[0]?.errorCode, KafkaError.NONE)
      const fetched = await c.call(C.Fetch[4], {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
        topics: [{ topic: 'tls-t', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      })
      const records = fetched.responses[0]?.partitions[0]?.records ?? Buffer.alloc(0)
      assert.equal(decodeRecordBatch(records).records[0]?.value?.toString(), 'over tls')
      c.close()
      // A plaintext client gets nothing useful from a TLS port.
      const plain = await ts.connect()
      plain.send(C.ApiVersions[0], {})
      await assert.rejects(plain.readFrame())
    } finally {
      await ts.close()
    }
  })
})
