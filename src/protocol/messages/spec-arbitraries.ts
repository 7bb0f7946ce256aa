/**
 * @module Test support: fast-check arbitraries for any (API, version) message, built from the
 * committed spec table with this module's own reading of the version ranges, nullability, tags and
 * defaults, independent of the generator's. Values respect each field's versions and nullability;
 * tagged fields are sometimes left out, and `withDefaults` says what decoding must then fill in.
 */
import fc from 'fast-check'
import { MESSAGE_SPECS } from './generated/schemas.ts'
import { type SpecField, type SpecMessage } from './schema.ts'

export type Message = Record<string, unknown>

export function inVersions(range: string | undefined, v: number): boolean {
  if (range === undefined || range === 'none') return false
  const plus = /^(\d+)\+$/.exec(range)
  if (plus) return v >= Number(plus[1])
  const span = /^(\d+)-(\d+)$/.exec(range)
  if (span) return v >= Number(span[1]) && v <= Number(span[2])
  if (/^\d+$/.test(range)) return v === Number(range)
  throw new Error(`bad version range ${range}`)
}

export function specFor(apiKey: number, type: 'request' | 'response'): SpecMessage {
  const spec = MESSAGE_SPECS.find((s) => s.apiKey === apiKey && s.type === type)
  if (spec === undefined) throw new Error(`no ${type} spec for API ${apiKey}`)
  return spec
}

const camel = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1)

const isTagged = (f: SpecField, v: number): boolean => f.tag !== undefined && inVersions(f.taggedVersions, v)

function present(fields: readonly SpecField[] | undefined, v: number): SpecField[] {
  return (fields ?? []).filter((f) => inVersions(f.versions, v))
}

const uuidArb = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => Buffer.from(b).toString('hex'))
  .map((h) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`)

const smallBytes = fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a))
// Sometimes large enough for the writer to link the bytes in rather than copy them.
const recordsArb = fc.oneof(
  { weight: 4, arbitrary: smallBytes },
  { weight: 1, arbitrary: fc.integer({ min: 1024, max: 3000 }).map((n) => Buffer.alloc(n, n & 0xff)) },
)

function primitive(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool':
      return fc.boolean()
    case 'int8':
      return fc.integer({ min: -128, max: 127 })
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 })
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 })
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 })
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    case 'float64':
      return fc.double()
    case 'uuid':
      return uuidArb
    case 'string':
      return fc.string({ unit: 'binary', maxLength: 12 })
    case 'bytes':
      return smallBytes
    case 'records':
      return recordsArb
    default:
      throw new Error(`unknown primitive ${type}`)
  }
}

function valueArb(f: SpecField, v: number): fc.Arbitrary<unknown> {
  const isArray = f.type.startsWith('[]')
  const elem = f.fields ? structArb(f.fields, v) : primitive(isArray ? f.type.slice(2) : f.type)
  const value = isArray ? fc.array(elem, { maxLength: 3 }) : elem
  return inVersions(f.nullableVersions, v) ? fc.option(value, { nil: null, freq: 4 }) : value
}

function structArb(fields: readonly SpecField[], v: number): fc.Arbitrary<Message> {
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  const required: string[] = []
  for (const f of present(fields, v)) {
    const name = camel(f.name)
    if (isTagged(f, v)) {
      // A tagged field is absent, its default (left off the wire), or any other value.
      model[name] = fc.oneof(valueArb(f, v), fc.constant(defaultValue(f, v)))
    } else {
      model[name] = valueArb(f, v)
      required.push(name)
    }
  }
  return fc.record(model, { requiredKeys: required }) as fc.Arbitrary<Message>
}

const cache = new Map<string, fc.Arbitrary<Message>>()

/** Values of the message `spec` at version `v`. */
export function messageArbitrary(spec: SpecMessage, v: number): fc.Arbitrary<Message> {
  const key = `${spec.name}:${v}`
  let arb = cache.get(key)
  if (arb === undefined) {
    arb = structArb(spec.fields, v)
    cache.set(key, arb)
  }
  return arb
}

function parseInteger(d: string | number | boolean): string {
  const s = String(d)
  return /^-?0x/i.test(s) ? String(parseInt(s, 16)) : s
}

/** Kafka's default for field `f` at version `v`: the spec's, else the zero of the type. */
export function defaultValue(f: SpecField, v: number): unknown {
  if (f.default === 'null') return null
  if (f.type.startsWith('[]')) return []
  if (f.fields) {
    const out: Message = {}
    for (const sub of present(f.fields, v)) out[camel(sub.name)] = defaultValue(sub, v)
    return out
  }
  const d = f.default
  switch (f.type) {
    case 'bool':
      return d === true || d === 'true'
    case 'int64':
      return d === undefined ? 0n : BigInt(parseInteger(d))
    case 'string':
      return d === undefined ? '' : String(d)
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000'
    case 'bytes':
      return Buffer.alloc(0)
    case 'records':
      return inVersions(f.nullableVersions, v) ? null : Buffer.alloc(0)
    default:
      return d === undefined ? 0 : Number(parseInteger(d))
  }
}

function fill(fields: readonly SpecField[], v: number, value: Message): Message {
  const out: Message = {}
  for (const f of present(fields, v)) {
    const name = camel(f.name)
    let x = value[name]
    if (x === undefined && isTagged(f, v)) x = defaultValue(f, v)
    if (f.fields && x !== null) {
      const sub = f.fields
      x = f.type.startsWith('[]') ? (x as Message[]).map((e) => fill(sub, v, e)) : fill(sub, v, x as Message)
    }
    out[name] = x
  }
  return out
}

/** What decoding the encoding of `value` must give: `value` with absent tagged fields defaulted. */
export function withDefaults(spec: SpecMessage, v: number, value: Message): Message {
  return fill(spec.fields, v, value)
}
