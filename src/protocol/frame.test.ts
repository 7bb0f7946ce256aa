import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ErrorCode, TributaryError } from '../util/errors.ts'
import {
  decodeRequestFrame,
  decodeResponseFrame,
  nextFrameLength,
  requestHeaderVersion,
  responseHeaderVersion,
} from './frame.ts'
import { API_CODECS, ApiKey, decodeRequest, decodeResponse, encodeRequest, encodeResponse, supportedApiVersions } from './messages/index.ts'

/** Hex with `#` comments to the end of the line. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex')
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex')

function fails(code: ErrorCode, fn: () => unknown): TributaryError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof TributaryError, String(err))
    assert.equal(err.code, code, err.message)
    return err
  }
  assert.fail(`expected ${code}`)
}

describe('header versions', () => {
  test('follow the flexible versions of each API', () => {
    assert.equal(requestHeaderVersion(ApiKey.Metadata, 8), 1)
    assert.equal(requestHeaderVersion(ApiKey.Metadata, 9), 2)
    assert.equal(responseHeaderVersion(ApiKey.Metadata, 8), 0)
    assert.equal(responseHeaderVersion(ApiKey.Metadata, 9), 1)
    assert.equal(requestHeaderVersion(ApiKey.SaslHandshake, 1), 1)
    assert.equal(responseHeaderVersion(ApiKey.SaslHandshake, 1), 0)
  })

  test('ApiVersions responses always use header v0, even when the body is flexible', () => {
    assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 3), 2)
    assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 3), 0)
  })
})

describe('golden frames', () => {
  // What the Java client sends first on a connection: ApiVersions v3, request header v2.
  const javaApiVersions = hex(`
    0000002e                    # size 46
    0012 0003 00000000          # apiKey 18, version 3, correlationId 0
    000a ${ascii('producer-1')} # clientId: int16 length, not compact, even in header v2
    00                          # header tagged fields: none
    12 ${ascii('apache-kafka-java')} # clientSoftwareName: compact length 17 + 1
    06 ${ascii('3.7.0')}        # clientSoftwareVersion: compact length 5 + 1
    00                          # body tagged fields: none
  `)

  test('ApiVersions v3 request as the Java client sends it', () => {
    const { header, body } = decodeRequest(javaApiVersions)
    assert.deepEqual(
      { apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId, headerVersion: header.headerVersion },
      { apiKey: 18, apiVersion: 3, correlationId: 0, clientId: 'producer-1', headerVersion: 2 },
    )
    assert.deepEqual(body, { clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '3.7.0' })
    const again = encodeRequest(API_CODECS.ApiVersions[3], 0, 'producer-1', { clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '3.7.0' })
    assert.deepEqual(again.toBuffer(), javaApiVersions)
  })

  test('ApiVersions v3 response: header v0 (no tagged byte), flexible body', () => {
    const expected = hex(`
      00000013       # size 19
      0000002a       # correlationId 42, and no header tagged fields
      0000           # errorCode
      02             # apiKeys: compact count 1 + 1
      0012 0000 0003 00   # ApiVersions 0..3, entry tagged fields
      00000000       # throttleTimeMs
      00             # body tagged fields: none (all defaults)
    `)
    const codec = API_CODECS.ApiVersions[3]
    const body = { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 }
    assert.deepEqual(encodeResponse(codec, 42, body).toBuffer(), expected)
    const back = decodeResponse(codec, expected)
    assert.equal(back.correlationId, 42)
    assert.deepEqual(back.body, { ...body, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false })
  })

  test('ApiVersions v3 response with a tagged field set', () => {
    const codec = API_CODECS.ApiVersions[3]
    const out = encodeResponse(codec, 1, { errorCode: 0, apiKeys: [], throttleTimeMs: 0, finalizedFeaturesEpoch: 7n }).toBuffer()
    assert.deepEqual(
      out,
      hex(`00000016 00000001 0000 01 00000000
           01          # one tagged field
           01 08       # tag 1, 8 bytes
           0000000000000007`),
    )
  })

  test('the ApiVersions v0 answer to an unsupported ApiVersions version', () => {
    // Java clients 3.9+ open with ApiVersions v4, which we do not serve.
    const v4 = hex(`0000000d 0012 0004 00000007 0000 00 00 00`)
    const err = fails(ErrorCode.UNSUPPORTED_VERSION, () => decodeRequestFrame(v4))
    assert.deepEqual(err.details, { apiKey: 18, apiVersion: 4, correlationId: 7 })
    const answer = encodeResponse(API_CODECS.ApiVersions[0], err.details.correlationId as number, {
      errorCode: 35,
      apiKeys: supportedApiVersions().filter((a) => a.apiKey === ApiKey.ApiVersions),
    })
    assert.deepEqual(answer.toBuffer(), hex(`00000010 00000007 0023 00000001 0012 0000 0003`))
  })

  test('Metadata v1 request for all topics (null array)', () => {
    const frame = hex(`00000012 0003 0001 00000005 0004 ${ascii('rdk1')} ffffffff`)
    const { header, body } = decodeRequest(frame)
    assert.equal(header.correlationId, 5)
    assert.equal(header.clientId, 'rdk1')
    assert.deepEqual(body, { topics: null })
  })

  test('Produce v3: the RecordBatch bytes are a view into the frame, not a copy', () => {
    const batch = Buffer.alloc(70, 0xab)
    const frame = encodeRequest(API_CODECS.Produce[3], 9, null, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }],
    }).toBuffer()
    const { body } = decodeRequest(frame)
    const records = (body as { topicData: { partitionData: { records: Buffer }[] }[] }).topicData[0]?.partitionData[0]?.records
    assert.ok(records)
    assert.equal(records.buffer, frame.buffer)
    assert.equal(records.byteOffset, frame.byteOffset + frame.length - 70)
    assert.deepEqual(records, batch)
  })
})

describe('frame checks', () => {
  test('nextFrameLength waits for four bytes, then bounds the size', () => {
    assert.equal(nextFrameLength(hex('000000'), 0), -1)
    assert.equal(nextFrameLength(hex('00000010'), 0), 20)
    assert.equal(nextFrameLength(hex('ff 00000002 0000'), 1), 6)
    fails(ErrorCode.PROTOCOL_ERROR, () => nextFrameLength(hex('ffffffff'), 0))
    fails(ErrorCode.PROTOCOL_ERROR, () => nextFrameLength(hex('00100001'), 0, 1024 * 1024))
  })

  test('a frame must hold exactly the bytes its size counts', () => {
    fails(ErrorCode.PROTOCOL_ERROR, () => decodeRequestFrame(hex('00000010 0012 0000 00000001 ffff')))
    fails(ErrorCode.PROTOCOL_ERROR, () => decodeRequestFrame(hex('00000009 0012 0000 00000001 ffff')))
    fails(ErrorCode.PROTOCOL_ERROR, () => decodeRequestFrame(hex('000000')))
    // A header cut short.
    fails(ErrorCode.PROTOCOL_ERROR, () => decodeRequestFrame(hex('00000006 0012 0000 0000')))
    fails(ErrorCode.PROTOCOL_ERROR, () => decodeRequestFrame(hex('0000000a 0012 0000 00000001 00')))
  })

  test('the frame size cap applies before anything else', () => {
    const frame = encodeRequest(API_CODECS.ApiVersions[2], 1, 'c', {}).toBuffer()
    assert.equal(decodeRequestFrame(frame, frame.length - 4).apiKey, 18)
    fails(ErrorCode.PROTOCOL_ERROR, () => decodeRequestFrame(frame, frame.length - 5))
  })

  test('unknown APIs and versions answer UNSUPPORTED_VERSION with the correlation id', () => {
    const unknownApi = hex(`0000000a 03e8 0000 00000063 ffff`)
    assert.deepEqual(fails(ErrorCode.UNSUPPORTED_VERSION, () => decodeRequestFrame(unknownApi)).details, {
      apiKey: 1000,
      apiVersion: 0,
      correlationId: 99,
    })
    const fetch13 = hex(`0000000a 0001 000d 00000063 ffff`)
    assert.equal(fails(ErrorCode.UNSUPPORTED_VERSION, () => decodeRequest(fetch13)).details.apiVersion, 13)
    fails(ErrorCode.UNSUPPORTED_VERSION, () => decodeRequest(hex(`0000000a 0001 ffff 00000063 ffff`)))
  })

  test('bytes left after the body are refused', () => {
    const frame = encodeRequest(API_CODECS.Heartbeat[0], 3, null, { groupId: 'g', generationId: 1, memberId: 'm' }).toBuffer()
    const padded = Buffer.concat([frame, Buffer.from([0])])
    padded.writeInt32BE(padded.length - 4, 0)
    assert.deepEqual(decodeRequest(frame).body, { groupId: 'g', generationId: 1, memberId: 'm' })
    fails(ErrorCode.PROTOCOL_ERROR, () => decodeRequest(padded))
  })

  test('response frames carry the header version of their API version', () => {
    const v8 = encodeResponse(API_CODECS.Heartbeat[3], 77, { throttleTimeMs: 0, errorCode: 0 }).toBuffer()
    const v9 = encodeResponse(API_CODECS.Heartbeat[4], 77, { throttleTimeMs: 0, errorCode: 0 }).toBuffer()
    assert.deepEqual(v8, hex('0000000a 0000004d 00000000 0000'))
    assert.deepEqual(v9, hex('0000000c 0000004d 00 00000000 0000 00'))
    assert.equal(decodeResponseFrame(v9, ApiKey.Heartbeat, 4).bodyOffset, 9)
  })
})
