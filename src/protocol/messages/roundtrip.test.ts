// Round trips for every (API, version) we serve, request and response, through whole frames:
// decode(encode(x)) is x (absent tagged fields read back as their defaults), and encoding what was
// decoded gives the same bytes again.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { API_CODECS, API_INFO, decodeRequest, decodeResponse, encodeRequest, encodeResponse, getCodec } from './index.ts'
import { messageArbitrary, specFor, withDefaults } from './spec-arbitraries.ts'

const RUNS = 25

describe('every served (API, version) round-trips', () => {
  for (const info of API_INFO) {
    const requestSpec = specFor(info.apiKey, 'request')
    const responseSpec = specFor(info.apiKey, 'response')
    for (let v = info.minVersion; v <= info.maxVersion; v++) {
      test(`${info.name} v${v}`, () => {
        const codec = getCodec(info.apiKey, v)
        assert.ok(codec, 'registered')
        assert.equal(codec.apiKey, info.apiKey)
        assert.equal(codec.version, v)
        const header = fc.record({
          correlationId: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          clientId: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
        })
        fc.assert(
          fc.property(header, messageArbitrary(requestSpec, v), messageArbitrary(responseSpec, v), (h, req, res) => {
            const reqFrame = encodeRequest(codec, h.correlationId, h.clientId, req).toBuffer()
            const decoded = decodeRequest(reqFrame)
            assert.equal(decoded.codec, codec)
            assert.deepEqual(
              { apiKey: decoded.header.apiKey, apiVersion: decoded.header.apiVersion, correlationId: decoded.header.correlationId, clientId: decoded.header.clientId },
              { apiKey: info.apiKey, apiVersion: v, correlationId: h.correlationId, clientId: h.clientId },
            )
            assert.deepStrictEqual(decoded.body, withDefaults(requestSpec, v, req))
            assert.deepStrictEqual(encodeRequest(codec, h.correlationId, h.clientId, decoded.body).toBuffer(), reqFrame)

            const resWriter = encodeResponse(codec, h.correlationId, res)
            const resFrame = resWriter.toBuffer()
            assert.equal(resFrame.length, resWriter.length)
            const back = decodeResponse(codec, resFrame)
            assert.equal(back.correlationId, h.correlationId)
            assert.deepStrictEqual(back.body, withDefaults(responseSpec, v, res))
            assert.deepStrictEqual(encodeResponse(codec, h.correlationId, back.body).toBuffer(), resFrame)
          }),
          { numRuns: RUNS },
        )
      })
    }
  }
})

test('the registry holds exactly the advertised versions', () => {
  for (const info of API_INFO) {
    const codecs = API_CODECS[info.name as keyof typeof API_CODECS]
    assert.equal(codecs.length, info.maxVersion + 1, info.name)
    assert.equal(getCodec(info.apiKey, info.maxVersion + 1), undefined)
    assert.equal(getCodec(info.apiKey, -1), undefined)
  }
  assert.equal(getCodec(4, 0), undefined, 'LeaderAndIsr is not served')
})
