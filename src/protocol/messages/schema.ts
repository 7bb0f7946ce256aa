/**
 * @module The shape of the generated spec table (`generated/schemas.ts`): Kafka's message
 * definitions for the APIs we serve, reduced to what decides the bytes on the wire (names, types,
 * version ranges, tags, defaults), with common structs inlined. Nothing on the hot path reads it;
 * the tests build property-based arbitraries from it with their own reading of the version ranges,
 * so a mistake in the generator's reading shows up as a failing round trip.
 */

export interface SpecField {
  /** As in the spec (PascalCase); the codecs use it camelCased. */
  readonly name: string
  /** `int32`, `string`, `records`, ..., `[]int32`, `[]SomeStruct`, or a struct name. */
  readonly type: string
  /** Version ranges as in the spec: `0+`, `3-5`, `7`, `none`. */
  readonly versions: string
  readonly nullableVersions?: string
  readonly taggedVersions?: string
  readonly tag?: number
  /** The spec's default, as written there. */
  readonly default?: string | number | boolean
  /** Present for structs and arrays of structs. */
  readonly fields?: readonly SpecField[]
}

export interface SpecMessage {
  /** `MetadataRequest`, `MetadataResponse`, ... */
  readonly name: string
  readonly apiKey: number
  readonly type: 'request' | 'response'
  readonly flexibleVersions: string
  readonly fields: readonly SpecField[]
}
