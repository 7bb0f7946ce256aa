// `tributary broker start` in a child process: serves Kafka clients, stops cleanly on SIGTERM (the
// partition logs get their clean-shutdown marker), and `broker add-user` makes a working users file.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel } from 'kafkajs'
import { KafkaError } from '../protocol/error-codes.ts'
import { API_CODECS } from '../protocol/messages/index.ts'
import { CLEAN_SHUTDOWN_FILE } from '../log/checkpoint.ts'
import { RawKafkaClient, batchOf } from '../broker/server/server-test-support.ts'
import { runCli, withDataDir } from './cli-harness.ts'

const BIN = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url))
const C = API_CODECS
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1'

/** Starts the server; resolves with its port once it prints where it listens. */
function startBroker(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'broker', 'start', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const port = new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(stdout)
      if (m !== null) resolve(Number(m[1]))
    })
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)))
  })
  return { child, port, exited, output: () => stdout }
}

test('broker start serves the Kafka protocol and shuts down cleanly on SIGTERM', async () => {
  await withDataDir(async (dir) => {
    const b = startBroker(['--data-dir', dir])
    const port = await b.port
    const c = await RawKafkaClient.connect(port)
    const created = await c.call(C.CreateTopics[7], { topics: [{ name: 'cli-t', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false })
    assert.equal(created.topics[0]?.errorCode, KafkaError.NONE)
    const produced = await c.call(C.Produce[9], { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'cli-t', partitionData: [{ index: 0, records: batchOf(['kept']) }] }] })
    assert.equal(produced.responses[0]?.partitionResponses[0]?.errorCode, KafkaError.NONE)
    c.close()
    b.child.kill('SIGTERM')
    assert.equal(await b.exited, 0)
    assert.match(b.output(), /Stopped\./)
    assert.ok(fs.existsSync(path.join(dir, 'logs', 'cli-t-0', CLEAN_SHUTDOWN_FILE)), 'the log was closed cleanly')
  })
})

test('broker add-user writes SCRAM credentials that broker start --sasl-users accepts', async () => {
  await withDataDir(async (dir) => {
    fs.mkdirSync(dir, { recursive: true })
    const users = path.join(dir, 'users.json')
    const added = await runCli(['broker', 'add-user', 'carol', '--sasl-users', users, '--password', 'carol-pw'])
    assert.equal(added.code, 0, added.stderr)
    assert.ok(!fs.readFileSync(users, 'utf8').includes('carol-pw'))
    const b = startBroker(['--data-dir', path.join(dir, 'data'), '--sasl-users', users])
    try {
      const port = await b.port
      const kafka = (password: string) => new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'scram-sha-512', username: 'carol', password } })
      const admin = kafka('carol-pw').admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic: 'sasl-cli' }] })
      assert.ok((await admin.listTopics()).includes('sasl-cli'))
      await admin.disconnect()
      const intruder = kafka('guess').admin()
      await assert.rejects(intruder.connect())
      await intruder.disconnect()
    } finally {
      b.child.kill('SIGTERM')
      assert.equal(await b.exited, 0)
    }
  })
})

test('broker start refuses half a TLS configuration', async () => {
  const r = await runCli(['broker', 'start', '--tls-cert', 'only-a-cert.pem'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /--tls-cert and --tls-key go together/)
})
