import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Broker } from '../../broker/broker.ts'
import { createSaslAuthenticator } from '../../broker/server/sasl/authenticator.ts'
import { type SaslUsers, scramCredential } from '../../broker/server/sasl/credentials.ts'
import { startKafkaServer } from '../../broker/server/server.ts'
import { runCli } from '../../cli/cli-harness.ts'
import { ErrorCode } from '../../util/errors.ts'
import { type KafkaClientOptions, type SaslMechanism, createKafkaClient } from './index.ts'

// A self-signed certificate for 127.0.0.1 (test only; valid until 2125).
const CERT = fileURLToPath(new URL('./fixtures/cert.pem', import.meta.url))
const KEY = fileURLToPath(new URL('./fixtures/key.pem', import.meta.url))

/** One user with SCRAM credentials for both hashes; PLAIN checks the password against them. */
async function users(): Promise<SaslUsers> {
  return new Map([['alice', { 'SCRAM-SHA-256': await scramCredential('SCRAM-SHA-256', 'secret'), 'SCRAM-SHA-512': await scramCredential('SCRAM-SHA-512', 'secret') }]])
}

async function withSecureServer(fn: (bootstrap: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tributary-kafka-security-'))
  const broker = await Broker.open({ dataDir })
  const server = await startKafkaServer(broker, { listen: '127.0.0.1:0', tls: { certFile: CERT, keyFile: KEY }, sasl: createSaslAuthenticator(await users()) })
  try {
    await fn(`127.0.0.1:${server.address.port}`)
  } finally {
    await server.close()
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

describe('kafka client: TLS and SASL', () => {
  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as SaslMechanism[]) {
    it(`produces and consumes over TLS (trusting the given CA) with SASL ${mechanism}`, () =>
      withSecureServer(async (bootstrap) => {
        const options: KafkaClientOptions = { bootstrap: [bootstrap], tls: { ca: readFileSync(CERT) }, sasl: { mechanism, username: 'alice', password: 'secret' } }
        const client = createKafkaClient(options)
        try {
          await client.admin().createTopics([{ name: 'secure', partitions: 1 }])
          await client.producer().send([{ topic: 'secure', key: 'k', value: 'over tls' }])
          const consumer = client.consumer({ autoOffsetReset: 'earliest', groupId: 'secure-group' })
          await consumer.subscribe(['secure'])
          for await (const batch of consumer.batches({ signal: AbortSignal.timeout(20_000) })) {
            assert.deepEqual(batch.records.map((r) => [r.key?.toString(), r.value?.toString()]), [['k', 'over tls']])
            break
          }
          await consumer.commit()
          await consumer.close()
          assert.deepEqual((await client.admin().fetchGroupOffsets('secure-group')).map((o) => o.offset), [1])
        } finally {
          await client.close()
        }
      }))
  }

  it('fails with AUTHENTICATION_FAILED on a wrong password', () =>
    withSecureServer(async (bootstrap) => {
      for (const mechanism of ['PLAIN', 'SCRAM-SHA-512'] as SaslMechanism[]) {
        const client = createKafkaClient({ bootstrap: [bootstrap], tls: { ca: readFileSync(CERT) }, sasl: { mechanism, username: 'alice', password: 'wrong' } })
        try {
          await assert.rejects(client.admin().listTopics(), (err: unknown) => {
            assert.equal((err as { code?: unknown }).code, ErrorCode.AUTHENTICATION_FAILED, String(err))
            return true
          })
        } finally {
          await client.close()
        }
      }
    }))

  it('runs CLI commands with --tls-ca and --sasl-*', () =>
    withSecureServer(async (bootstrap) => {
      const secure = ['--bootstrap', bootstrap, '--tls-ca', CERT, '--sasl-mechanism', 'SCRAM-SHA-256', '--sasl-username', 'alice', '--sasl-password', 'secret']
      const created = await runCli(['topics', 'create', 'cli-secure', ...secure])
      assert.equal(created.code, 0, created.stderr)
      const listed = await runCli(['topics', 'list', ...secure])
      assert.equal(listed.code, 0, listed.stderr)
      assert.match(listed.stdout, /cli-secure/)
    }))
})
