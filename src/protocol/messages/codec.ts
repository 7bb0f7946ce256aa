/**
 * @module The shape every generated (API, version) codec has: body encoders and decoders for the
 * request and the response at one version. Headers and framing live in `../frame.ts`.
 *
 * Field types in the generated messages: int64 is `bigint`, exact over the whole range (Kafka
 * sentinels such as -1 and Long.MAX_VALUE survive; the wire server converts offsets to numbers
 * once per partition, never per record). uuid is a lower-case 8-4-4-4-12 string, usable as a map
 * key. bytes and records are Buffers; decoded ones are views into the frame, not copies. Tagged
 * fields are optional properties: encoders leave them off the wire when absent or equal to their
 * default, decoders always fill them in.
 */
import { type Reader } from '../reader.ts'
import { type Writer } from '../writer.ts'

/**
 * Methods, not function properties, on purpose: method parameters are compared bivariantly, so a
 * codec for one concrete message type can sit in a table of `MessageCodec` (unknown types).
 */
export interface MessageCodec<Req = unknown, Res = unknown> {
  readonly apiKey: number
  readonly version: number
  /** Server side: reads a request body; the reader must then be at the end of the body. */
  decodeRequest(r: Reader): Req
  /** Server side: writes a response body. */
  encodeResponse(w: Writer, m: Res): void
  /** Client side. */
  encodeRequest(w: Writer, m: Req): void
  /** Client side. */
  decodeResponse(r: Reader): Res
}
