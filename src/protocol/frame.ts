/**
 * @module Kafka framing and message headers. A frame is an int32 size followed by that many bytes:
 * a header, then the body the generated codecs read and write.
 *
 * - Request header v1: apiKey int16, apiVersion int16, correlationId int32, clientId nullable
 *   string (int16 length). v2 adds a tagged-field section; clientId stays a non-compact string.
 *   v0 has no clientId (only ControlledShutdown v0 used it; we never serve that).
 * - Response header v0: correlationId int32. v1 adds a tagged-field section.
 * The header version follows from whether the API version is flexible, except that ApiVersions
 * responses always use response header v0, so a client that does not know the broker yet can read
 * the correlation id and error code of any version.
 */
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { API_INFO, type ApiInfo, ApiKey } from './messages/generated/api-keys.ts'
import { Reader } from './reader.ts'
import { type Int32Slot, type Writer } from './writer.ts'

/** Kafka's default `socket.request.max.bytes`. */
export const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024

export type RequestHeaderVersion = 0 | 1 | 2
export type ResponseHeaderVersion = 0 | 1

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  /** Absent (null) in header v0 and when the client sends a null string. */
  clientId: string | null
}

export interface RequestFrame extends RequestHeader {
  headerVersion: RequestHeaderVersion
  /** Where the body starts in the frame buffer. */
  bodyOffset: number
  /** One past the body's last byte (the end of the frame). */
  bodyEnd: number
}

export interface ResponseFrame {
  correlationId: number
  bodyOffset: number
  bodyEnd: number
}

const INFO_BY_KEY: (ApiInfo | undefined)[] = []
for (const info of API_INFO) INFO_BY_KEY[info.apiKey] = info

/** What we advertise for `apiKey`, or undefined when we do not serve it. */
export function apiInfo(apiKey: number): ApiInfo | undefined {
  return INFO_BY_KEY[apiKey]
}

export function isSupportedVersion(apiKey: number, apiVersion: number): boolean {
  const info = INFO_BY_KEY[apiKey]
  return info !== undefined && apiVersion >= info.minVersion && apiVersion <= info.maxVersion
}

function infoFor(apiKey: number, apiVersion: number): ApiInfo {
  const info = INFO_BY_KEY[apiKey]
  if (info === undefined || apiVersion < info.minVersion || apiVersion > info.maxVersion) {
    throw new TributaryError(ErrorCode.UNSUPPORTED_VERSION, `API ${apiKey} version ${apiVersion} is not supported`, {
      details: { apiKey, apiVersion },
    })
  }
  return info
}

/** Whether (apiKey, apiVersion) uses compact encodings and tagged fields. */
export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const first = infoFor(apiKey, apiVersion).firstFlexibleVersion
  return first >= 0 && apiVersion >= first
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): RequestHeaderVersion {
  return isFlexible(apiKey, apiVersion) ? 2 : 1
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): ResponseHeaderVersion {
  if (apiKey === ApiKey.ApiVersions) return 0
  return isFlexible(apiKey, apiVersion) ? 1 : 0
}

function protocolError(message: string, details: Record<string, unknown> = {}): TributaryError {
  return new TributaryError(ErrorCode.PROTOCOL_ERROR, message, { details })
}

/**
 * The total length (size prefix included) of the frame starting at `offset`, or -1 when the four
 * size bytes have not all arrived. Throws PROTOCOL_ERROR for a negative size or one above the cap,
 * before the caller buffers anything for it.
 */
export function nextFrameLength(buf: Uint8Array, offset: number, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): number {
  if (buf.length - offset < 4) return -1
  const size =
    ((buf[offset] as number) << 24) | ((buf[offset + 1] as number) << 16) | ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number)
  if (size < 0 || size > maxFrameSize) throw protocolError(`frame size ${size} is outside [0, ${maxFrameSize}]`, { size })
  return size + 4
}

function frameReader(frame: Buffer, maxFrameSize: number): Reader {
  const total = nextFrameLength(frame, 0, maxFrameSize)
  if (total !== frame.length) {
    throw protocolError(total < 0 ? 'frame is shorter than its size prefix' : `frame size ${total - 4} does not match its ${frame.length - 4} bytes`)
  }
  return new Reader(frame, 4)
}

/** Reads a request header of the given version. */
export function readRequestHeader(r: Reader, headerVersion: RequestHeaderVersion): RequestHeader {
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  const clientId = headerVersion >= 1 ? r.nullableString() : null
  if (headerVersion >= 2) r.skipTaggedFields()
  return { apiKey, apiVersion, correlationId, clientId }
}

export function writeRequestHeader(w: Writer, header: RequestHeader, headerVersion: RequestHeaderVersion): void {
  w.int16(header.apiKey)
  w.int16(header.apiVersion)
  w.int32(header.correlationId)
  if (headerVersion >= 1) w.nullableString(header.clientId)
  if (headerVersion >= 2) w.unsignedVarInt(0)
}

export function readResponseHeader(r: Reader, headerVersion: ResponseHeaderVersion): number {
  const correlationId = r.int32()
  if (headerVersion >= 1) r.skipTaggedFields()
  return correlationId
}

export function writeResponseHeader(w: Writer, correlationId: number, headerVersion: ResponseHeaderVersion): void {
  w.int32(correlationId)
  if (headerVersion >= 1) w.unsignedVarInt(0)
}

/**
 * Decodes the size prefix and request header of one whole frame (`frame` holds exactly the size
 * prefix and the bytes it counts). An API or version we do not serve throws UNSUPPORTED_VERSION
 * with `details` { apiKey, apiVersion, correlationId } so the server can answer (an ApiVersions
 * request gets a v0 response with error UNSUPPORTED_VERSION, as Kafka does); other damage throws
 * PROTOCOL_ERROR.
 */
export function decodeRequestFrame(frame: Buffer, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): RequestFrame {
  const r = frameReader(frame, maxFrameSize)
  // The first eight bytes are laid out alike in every header version, so they are read before
  // the header version is known.
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  if (!isSupportedVersion(apiKey, apiVersion)) {
    throw new TributaryError(ErrorCode.UNSUPPORTED_VERSION, `API ${apiKey} version ${apiVersion} is not supported`, {
      details: { apiKey, apiVersion, correlationId },
    })
  }
  const headerVersion = requestHeaderVersion(apiKey, apiVersion)
  const clientId = r.nullableString()
  if (headerVersion === 2) r.skipTaggedFields()
  return { apiKey, apiVersion, correlationId, clientId, headerVersion, bodyOffset: r.pos, bodyEnd: r.end }
}

/** Client side: decodes the size prefix and response header of one whole frame. */
export function decodeResponseFrame(frame: Buffer, apiKey: number, apiVersion: number, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): ResponseFrame {
  const r = frameReader(frame, maxFrameSize)
  const correlationId = readResponseHeader(r, responseHeaderVersion(apiKey, apiVersion))
  return { correlationId, bodyOffset: r.pos, bodyEnd: r.end }
}

/** Reserves the size prefix of a frame; `endFrame` fills it in once the frame is written. */
export function beginFrame(w: Writer): Int32Slot {
  return w.reserveInt32()
}

export function endFrame(w: Writer, slot: Int32Slot): void {
  w.fillInt32(slot, w.length - slot.after)
}
