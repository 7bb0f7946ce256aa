/**
 * @module The registry of Kafka message codecs: (apiKey, version) → the generated body codecs, the
 * version ranges we advertise, and helpers that put a body inside a frame with the right header.
 *
 * Typed use: `API_CODECS.Metadata[12]` is the codec of Metadata v12 with its exact request and
 * response types. Dispatch by numbers: `getCodec(apiKey, version)` (types erased to unknown).
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import {
  beginFrame,
  decodeRequestFrame,
  decodeResponseFrame,
  DEFAULT_MAX_FRAME_SIZE,
  endFrame,
  type RequestFrame,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
} from '../frame.ts'
import { Reader } from '../reader.ts'
import { Writer } from '../writer.ts'
import { type MessageCodec } from './codec.ts'
import { API_INFO, type ApiInfo, ApiKey } from './generated/api-keys.ts'
import { API_CODECS } from './generated/registry.ts'

export { API_CODECS, API_INFO, ApiKey, type ApiInfo, type MessageCodec }

const CODECS_BY_KEY: (readonly MessageCodec[] | undefined)[] = []
for (const info of API_INFO) {
  const codecs = API_CODECS[info.name as keyof typeof API_CODECS] as readonly MessageCodec[]
  CODECS_BY_KEY[info.apiKey] = codecs
}

/** The codec of (apiKey, version), or undefined when we do not serve that version. */
export function getCodec(apiKey: number, version: number): MessageCodec | undefined {
  const codecs = CODECS_BY_KEY[apiKey]
  if (codecs === undefined || version < 0) return undefined
  return codecs[version]
}

/** The (apiKey, minVersion, maxVersion) list an ApiVersions response advertises, by API key. */
export function supportedApiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return API_INFO.map((info) => ({ apiKey: info.apiKey, minVersion: info.minVersion, maxVersion: info.maxVersion }))
}

export interface DecodedRequest {
  header: RequestFrame
  codec: MessageCodec
  /** The decoded body; its type is the codec's request type. */
  body: unknown
}

function codecOrThrow(apiKey: number, version: number): MessageCodec {
  const codec = getCodec(apiKey, version)
  if (codec === undefined) {
    throw new TributaryError(ErrorCode.UNSUPPORTED_VERSION, `API ${apiKey} version ${version} is not supported`, {
      details: { apiKey, apiVersion: version },
    })
  }
  return codec
}

/**
 * Server side: decodes one whole request frame (size prefix included). Throws UNSUPPORTED_VERSION
 * (see `decodeRequestFrame`) or PROTOCOL_ERROR, including for bytes left after the body.
 */
export function decodeRequest(frame: Buffer, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): DecodedRequest {
  const header = decodeRequestFrame(frame, maxFrameSize)
  const codec = codecOrThrow(header.apiKey, header.apiVersion)
  const r = new Reader(frame, header.bodyOffset, header.bodyEnd)
  const body = codec.decodeRequest(r)
  r.expectEnd()
  return { header, codec, body }
}

/**
 * Server side: writes a whole response frame (size, header, body) for `codec`'s version. The
 * returned writer gives the chunks (`toBuffers`, records are not copied) or one Buffer.
 */
export function encodeResponse<Res>(codec: MessageCodec<unknown, Res>, correlationId: number, body: Res): Writer {
  const w = new Writer()
  const slot = beginFrame(w)
  writeResponseHeader(w, correlationId, responseHeaderVersion(codec.apiKey, codec.version))
  codec.encodeResponse(w, body)
  endFrame(w, slot)
  return w
}

/** Client side: writes a whole request frame for `codec`'s version. */
export function encodeRequest<Req>(codec: MessageCodec<Req, unknown>, correlationId: number, clientId: string | null, body: Req): Writer {
  const w = new Writer()
  const slot = beginFrame(w)
  writeRequestHeader(w, { apiKey: codec.apiKey, apiVersion: codec.version, correlationId, clientId }, requestHeaderVersion(codec.apiKey, codec.version))
  codec.encodeRequest(w, body)
  endFrame(w, slot)
  return w
}

/** Client side: decodes one whole response frame for `codec`'s version. */
export function decodeResponse<Res>(
  codec: MessageCodec<unknown, Res>,
  frame: Buffer,
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE,
): { correlationId: number; body: Res } {
  const { correlationId, bodyOffset, bodyEnd } = decodeResponseFrame(frame, codec.apiKey, codec.version, maxFrameSize)
  const r = new Reader(frame, bodyOffset, bodyEnd)
  const body = codec.decodeResponse(r)
  r.expectEnd()
  return { correlationId, body }
}
