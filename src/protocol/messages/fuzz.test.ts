// Hostile input: random bytes, valid frames cut short, bit-flipped, or with huge counts and lengths
// written over them. Every decoder must answer with a TributaryError (or decode something), never
// a RangeError or TypeError, and never allocate for a count the input cannot hold.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { decodeRequestFrame } from '../frame.ts'
import { Reader } from '../reader.ts'
import { Writer } from '../writer.ts'
import { type MessageCodec } from './codec.ts'
import { API_CODECS, API_INFO, decodeRequest, encodeRequest, encodeResponse, getCodec } from './index.ts'
import { messageArbitrary, specFor } from './spec-arbitraries.ts'

const EXPECTED: ReadonlySet<string> = new Set([ErrorCode.PROTOCOL_ERROR, ErrorCode.UNSUPPORTED_VERSION])

/** Runs `fn`; a throw must be a TributaryError with a protocol code. Returns whether it threw. */
function onlyProtocolErrors(fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch (err) {
    if (!(err instanceof TributaryError) || !EXPECTED.has(err.code)) throw err
    return true
  }
}

function decodeBody(codec: MessageCodec, side: 'request' | 'response', body: Buffer): void {
  const r = new Reader(body)
  if (side === 'request') codec.decodeRequest(r)
  else codec.decodeResponse(r)
  r.expectEnd()
}

interface Sample {
  codec: MessageCodec
  side: 'request' | 'response'
  body: Buffer
  frame: Buffer
}

/** A few valid messages per (API, version) and side, from a fixed seed so failures reproduce. */
function samples(): Sample[] {
  const out: Sample[] = []
  for (const info of API_INFO) {
    for (let v = info.minVersion; v <= info.maxVersion; v++) {
      const codec = getCodec(info.apiKey, v) as MessageCodec
      for (const side of ['request', 'response'] as const) {
        const values = fc.sample(messageArbitrary(specFor(info.apiKey, side), v), { numRuns: 3, seed: info.apiKey * 100 + v })
        for (const value of values) {
          const w = new Writer()
          if (side === 'request') codec.encodeRequest(w, value)
          else codec.encodeResponse(w, value)
          const frame = (side === 'request' ? encodeRequest(codec, 1, 'fuzz', value) : encodeResponse(codec, 1, value)).toBuffer()
          out.push({ codec, side, body: w.toBuffer(), frame })
        }
      }
    }
  }
  return out
}

const SAMPLES = samples()

describe('decoders under hostile input', () => {
  test('every strict prefix of a valid body fails with PROTOCOL_ERROR', () => {
    let checked = 0
    for (const s of SAMPLES) {
      // Long record payloads: every prefix up to 256 bytes, then every 61st.
      for (let cut = 0; cut < s.body.length; cut += cut < 256 ? 1 : 61) {
        const threw = onlyProtocolErrors(() => decodeBody(s.codec, s.side, s.body.subarray(0, cut)))
        assert.ok(threw, `${s.side} API ${s.codec.apiKey} v${s.codec.version} decoded a ${cut}-byte prefix of ${s.body.length} bytes`)
        checked++
      }
      decodeBody(s.codec, s.side, s.body)
    }
    assert.ok(checked > 10_000)
  })

  test('whole request frames cut short at every byte (size prefix fixed up) fail cleanly', () => {
    for (const s of SAMPLES) {
      if (s.side !== 'request') continue
      for (let cut = 4; cut < Math.min(s.frame.length, 300); cut++) {
        const frame = Buffer.from(s.frame.subarray(0, cut))
        frame.writeInt32BE(cut - 4, 0)
        assert.ok(onlyProtocolErrors(() => decodeRequest(frame)))
      }
    }
  })

  test('bit flips in valid frames: decoded or a protocol error, nothing else', () => {
    fc.assert(
      fc.property(fc.nat(SAMPLES.length - 1), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (i, positions) => {
        const s = SAMPLES[i] as Sample
        const body = Buffer.from(s.body)
        if (body.length === 0) return
        for (const p of positions) {
          const bit = p % (body.length * 8)
          body[bit >> 3] = (body[bit >> 3] as number) ^ (1 << (bit & 7))
        }
        onlyProtocolErrors(() => decodeBody(s.codec, s.side, body))
        if (s.side === 'request') {
          const frame = Buffer.from(s.frame)
          for (const p of positions) {
            const bit = p % (frame.length * 8)
            frame[bit >> 3] = (frame[bit >> 3] as number) ^ (1 << (bit & 7))
          }
          onlyProtocolErrors(() => decodeRequest(frame))
        }
      }),
      { numRuns: 3000 },
    )
  })

  test('huge counts and lengths written at every offset fail before allocating', () => {
    // int32 0x7fffffff and the unsigned varint 2^31 (a compact count/length of 2^31 - 1).
    const patches = [Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]), Buffer.from([0xff, 0xff, 0xff, 0xfe])]
    for (const s of SAMPLES) {
      const limit = Math.min(s.body.length, 200)
      for (let at = 0; at < limit; at++) {
        for (const patch of patches) {
          const body = Buffer.from(s.body.subarray(0, limit))
          patch.copy(body, at)
          onlyProtocolErrors(() => decodeBody(s.codec, s.side, body))
        }
      }
    }
  })

  test('random bytes into every decoder and the frame decoder', () => {
    const codecs = API_INFO.flatMap((info) => API_CODECS[info.name as keyof typeof API_CODECS] as readonly MessageCodec[])
    fc.assert(
      fc.property(fc.nat(codecs.length - 1), fc.uint8Array({ maxLength: 64 }), (i, bytes) => {
        const codec = codecs[i] as MessageCodec
        const body = Buffer.from(bytes)
        onlyProtocolErrors(() => decodeBody(codec, 'request', body))
        onlyProtocolErrors(() => decodeBody(codec, 'response', body))
        onlyProtocolErrors(() => decodeRequestFrame(body))
        // The same bytes behind a valid size prefix and a served header.
        const frame = Buffer.alloc(12 + body.length)
        frame.writeInt32BE(8 + body.length, 0)
        frame.writeInt16BE(codec.apiKey, 4)
        frame.writeInt16BE(codec.version, 6)
        body.copy(frame, 12)
        onlyProtocolErrors(() => decodeRequest(frame))
      }),
      { numRuns: 5000 },
    )
  })
})

describe('huge counts in tiny frames', () => {
  test('a Metadata v0 request claiming 2^31 - 1 topics in a 20-byte frame fails at the count', () => {
    const frame = Buffer.alloc(20)
    frame.writeInt32BE(16, 0)
    frame.writeInt16BE(3, 4) // Metadata
    frame.writeInt16BE(0, 6)
    frame.writeInt32BE(1, 8)
    frame.writeInt16BE(-1, 12) // null clientId
    frame.writeInt32BE(0x7fffffff, 14) // topics count
    try {
      decodeRequest(frame)
      assert.fail('decoded')
    } catch (e) {
      assert.ok(e instanceof TributaryError)
      assert.equal(e.code, ErrorCode.PROTOCOL_ERROR)
      // Failed at byte 18, right after reading the count: no element was read or allocated.
      assert.equal(e.details.offset, 18)
      assert.match(e.message, /2147483647 elements cannot fit in 2 bytes/)
    }
  })

  test('a flexible Metadata v12 request with a 2^31 compact count fails at the count', () => {
    const header = Buffer.from([0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff, 0])
    const body = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0, 0])
    const frame = Buffer.concat([Buffer.alloc(4), header, body])
    frame.writeInt32BE(frame.length - 4, 0)
    try {
      decodeRequest(frame)
      assert.fail('decoded')
    } catch (e) {
      assert.ok(e instanceof TributaryError)
      assert.equal(e.code, ErrorCode.PROTOCOL_ERROR)
      assert.equal(e.details.offset, 4 + header.length + 5)
    }
  })

  test('a Produce v3 request whose records claim 2 GiB fails at the length', () => {
    const frame = encodeRequest(API_CODECS.Produce[3], 1, null, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(8) }] }],
    }).toBuffer()
    frame.writeInt32BE(0x7fffffff, frame.length - 12)
    assert.throws(() => decodeRequest(frame), (e: unknown) => e instanceof TributaryError && e.code === ErrorCode.PROTOCOL_ERROR)
  })
})
