// Hostile input over real sockets: requests of every API and version with random field values,
// random bytes, and valid frames with bit flips, truncations and huge lengths or counts written
// over them. The server must stay up, answer each request with a response its codec decodes (or
// close the connection), and never change a partition nobody validly wrote to.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { ManualClock } from '../../util/clock.ts'
import { KafkaError } from '../../protocol/error-codes.ts'
import { API_CODECS, API_INFO, ApiKey, type MessageCodec, decodeResponse, encodeRequest, getCodec } from '../../protocol/messages/index.ts'
import { computeBatchCrc } from '../../protocol/records/batch-header.ts'
import { messageArbitrary, specFor } from '../../protocol/messages/spec-arbitraries.ts'
import { type RawKafkaClient, type TestServer, batchOf, startTestServer } from './server-test-support.ts'

const C = API_CODECS
const PROBE_ID = 0x7eadbeef
const PROTECTED = 'fuzz-protected'

let ts: TestServer
let clock: ManualClock
/** What the server reports as unexpected (handler bugs, encoding failures): must stay empty. */
const unexpected: string[] = []
let before_: { end: number; bytes: Buffer }

function snapshot(): Promise<{ end: number; bytes: Buffer }> {
  const end = ts.broker.describeTopic(PROTECTED).partitions[0]?.logEndOffset ?? -1
  return ts.broker.fetch([{ topic: PROTECTED, partition: 0, offset: 0, maxBytes: 1 << 24 }], { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24 }).then((r) => ({ end, bytes: Buffer.from(r[0]?.records ?? Buffer.alloc(0)) }))
}

before(async () => {
  clock = new ManualClock(1_700_000_000_000)
  ts = await startTestServer({ brokerOptions: { clock }, server: { clock, maxFrameBytes: 1 << 20, log: (m) => unexpected.push(m) } })
  await ts.broker.createTopic(PROTECTED)
  await ts.broker.createTopic('fuzz-sink', { partitions: 2 })
  for (let i = 0; i < 3; i++) await ts.broker.produce(PROTECTED, 0, batchOf([`keep-${i}`, `keep-${i}b`]))
  before_ = await snapshot()
})
after(async () => {
  await ts.close()
  assert.deepEqual(unexpected, [])
})

function probeFrame(): Buffer {
  return encodeRequest(C.ApiVersions[0], PROBE_ID, 'probe', {}).toBuffer()
}

interface Outcome {
  responses: number
  closed: boolean
}

/**
 * Sends one frame and a probe on `client`, then reads until the probe is answered or the server
 * closes. Every response before the probe must decode with the codec its request named. Parked
 * requests (joins, long polls) are released by moving the server's clock.
 */
async function exchange(client: RawKafkaClient, frame: Buffer): Promise<Outcome> {
  const apiKey = frame.length >= 8 ? frame.readInt16BE(4) : -1
  const version = frame.length >= 8 ? frame.readInt16BE(6) : -1
  const correlationId = frame.length >= 12 ? frame.readInt32BE(8) : -1
  client.sendRaw(Buffer.concat([frame, probeFrame()]))
  let responses = 0
  for (;;) {
    const next = client.readFrame().then((f) => f, () => null)
    let frameOrNull: Buffer | null | undefined
    for (let spins = 0; frameOrNull === undefined; spins++) {
      frameOrNull = await Promise.race([next, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20))])
      if (frameOrNull === undefined) clock.advance(3_600_000)
      assert.ok(spins < 500, 'the server neither answered nor closed')
    }
    if (frameOrNull === null) return { responses, closed: true }
    const got = frameOrNull.readInt32BE(4)
    if (got === PROBE_ID) {
      decodeResponse(C.ApiVersions[0], frameOrNull)
      return { responses, closed: false }
    }
    // Anything else must be the fuzzed request's response, well-formed for its API and version.
    assert.equal(got, correlationId, 'responses come in request order')
    const codec = getCodec(apiKey, version) ?? (apiKey === ApiKey.ApiVersions ? C.ApiVersions[0] : undefined)
    assert.ok(codec !== undefined, `a response to an unknown API ${apiKey} v${version}`)
    decodeResponse(codec as MessageCodec, frameOrNull)
    responses++
  }
}

class Connections {
  #client: RawKafkaClient | undefined
  async get(): Promise<RawKafkaClient> {
    if (this.#client === undefined || this.#client.isClosed) this.#client = await ts.connect()
    return this.#client
  }
  async send(frame: Buffer): Promise<Outcome> {
    const c = await this.get()
    const out = await exchange(c, frame)
    if (out.closed) this.#client = undefined
    return out
  }
}

test('requests of every API and version with random values are answered with well-formed responses', async () => {
  const conns = new Connections()
  let answered = 0
  let closed = 0
  for (const info of API_INFO) {
    for (let v = info.minVersion; v <= info.maxVersion; v++) {
      const codec = getCodec(info.apiKey, v) as MessageCodec
      for (const body of fc.sample(messageArbitrary(specFor(info.apiKey, 'request'), v), { numRuns: 5, seed: 7000 + info.apiKey * 100 + v })) {
        const out = await conns.send(encodeRequest(codec, 1000 + v, 'fuzz', body).toBuffer())
        if (out.closed) closed++
        else answered++
        // Closing is for requests the protocol cannot answer: SaslAuthenticate without a handshake, failed acks=0 produces.
        if (out.closed) assert.ok(info.apiKey === ApiKey.SaslAuthenticate || info.apiKey === ApiKey.Produce, `API ${info.name} v${v} closed the connection`)
        else if (!(info.apiKey === ApiKey.Produce && (body as { acks?: number }).acks === 0)) assert.equal(out.responses, 1, `API ${info.name} v${v} got an answer`)
      }
    }
  }
  assert.ok(answered > 200, `${answered} answered, ${closed} closed`)
  assert.deepEqual(await snapshot(), before_)
})

/** Valid frames worth mutating: they reach the deeper handlers. */
function seeds(): Buffer[] {
  const produce = (acks: number, records: Buffer, version: 3 | 9 = 9) =>
    encodeRequest(C.Produce[version], 11, 'fuzz', { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: 'fuzz-sink', partitionData: [{ index: 0, records }] }] }).toBuffer()
  const badCrc = batchOf(['would be appended if its CRC were right'])
  badCrc.writeUInt32BE((computeBatchCrc(badCrc, 0, badCrc.length) ^ 0xffff) >>> 0, 17)
  const protectedProduce = encodeRequest(C.Produce[9], 12, 'fuzz', { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: PROTECTED, partitionData: [{ index: 0, records: badCrc }] }] }).toBuffer()
  const fetch = encodeRequest(C.Fetch[12], 13, 'fuzz', {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: PROTECTED, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  }).toBuffer()
  const metadata = encodeRequest(C.Metadata[12], 14, 'fuzz', { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: PROTECTED }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }).toBuffer()
  const join = encodeRequest(C.JoinGroup[9], 15, 'fuzz', { groupId: 'fz', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0]) }], reason: null }).toBuffer()
  const commit = encodeRequest(C.OffsetCommit[8], 16, 'fuzz', { groupId: 'fz-c', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: PROTECTED, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: 'm' }] }] }).toBuffer()
  const listOffsets = encodeRequest(C.ListOffsets[7], 17, 'fuzz', { replicaId: -1, isolationLevel: 1, topics: [{ name: PROTECTED, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] }).toBuffer()
  const createTopics = encodeRequest(C.CreateTopics[7], 18, 'fuzz', { topics: [{ name: 'fz-new', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }], timeoutMs: 100, validateOnly: true }).toBuffer()
  const txn = encodeRequest(C.InitProducerId[4], 19, 'fuzz', { transactionalId: 'fz-tx', transactionTimeoutMs: 10_000, producerId: -1n, producerEpoch: -1 }).toBuffer()
  return [produce(-1, batchOf(['a', 'b'])), produce(1, batchOf(['c'], { compression: 'gzip' }), 3), protectedProduce, fetch, metadata, join, commit, listOffsets, createTopics, txn]
}

/** Rewrites the size prefix to match the bytes (a complete frame with a damaged body). */
function sealed(frame: Buffer): Buffer {
  frame.writeInt32BE(frame.length - 4, 0)
  return frame
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('huge' as const), at: fc.nat(), value: fc.constantFrom(0x7fffffff, -1, -2147483648, 0x10000000, 65535) }),
  fc.record({ kind: fc.constant('varint' as const), at: fc.nat() }),
)

interface Mutation {
  kind: 'flip' | 'truncate' | 'huge' | 'varint'
  at: number
  bit?: number
  n?: number
  value?: number
}

function mutate(frame: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(frame)
  // Keep the size prefix honest (and, mostly, the API key) so the damage reaches the body decoders.
  const body = 8
  const at = body + (m.at % Math.max(1, out.length - body))
  switch (m.kind) {
    case 'flip':
      for (let i = 0; i < (m.n ?? 1); i++) {
        const p = body + ((m.at + i * 7919) % Math.max(1, out.length - body))
        out[p] = (out[p] as number) ^ (1 << (m.bit ?? 0))
      }
      return out
    case 'truncate':
      return sealed(out.subarray(0, Math.max(12, at)))
    case 'huge':
      if (at + 4 <= out.length) out.writeInt32BE(m.value ?? -1, at)
      return out
    case 'varint': {
      // An unsigned varint claiming a huge length or count (compact encodings).
      const big = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07])
      return sealed(Buffer.concat([out.subarray(0, at), big, out.subarray(Math.min(out.length, at + 1))]))
    }
  }
}

test('mutated valid frames get well-formed answers or a closed connection, and the log is untouched', async () => {
  const conns = new Connections()
  const frames = seeds()
  const cases = fc.sample(fc.tuple(fc.nat({ max: frames.length - 1 }), mutation), { numRuns: 600, seed: 424242 })
  let closed = 0
  for (const [i, m] of cases) {
    const out = await conns.send(mutate(frames[i] as Buffer, m))
    if (out.closed) closed++
  }
  assert.ok(closed < cases.length, 'not everything was simply refused')
  assert.deepEqual(await snapshot(), before_)
})

test('random bytes, oversized and negative frame sizes close the connection or are answered', async () => {
  const conns = new Connections()
  const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 600 }), { numRuns: 150, seed: 99 })
  for (const bytes of samples) {
    const frame = Buffer.alloc(4 + bytes.length)
    frame.writeInt32BE(bytes.length, 0)
    frame.set(bytes, 4)
    await conns.send(frame)
  }
  for (const size of [0x7fffffff, (1 << 20) + 1, -1, -2147483648]) {
    const c = await ts.connect()
    const head = Buffer.alloc(8)
    head.writeInt32BE(size, 0)
    c.sendRaw(head)
    await c.closed
  }
  // Still serving.
  const c = await ts.connect()
  const res = await c.call(C.ApiVersions[3], { clientSoftwareName: 'after-fuzz', clientSoftwareVersion: '1' })
  assert.equal(res.errorCode, KafkaError.NONE)
  assert.deepEqual(await snapshot(), before_)
})
