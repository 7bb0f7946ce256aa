/**
 * @module A compact binary format for flat records with a fixed schema (the role Avro or Flink's
 * row formats play): field values in schema order, no field names on the wire. Layout: numbers
 * float64 little-endian, booleans one byte, strings their length in UTF-16 units (u32 LE) in field
 * order; then the UTF-8 byte count of all strings (u32 LE) and their UTF-8 bytes, one after the
 * other. Several record types share one topic through `variants`: a first byte names the variant,
 * and its name is the value of the `tag` field of the decoded object (Nexmark's `type`).
 *
 * It exists because JSON is most of the cost of simple pipelines: JSON.parse of a 240-byte event
 * takes ~0.7 µs and JSON.stringify + Buffer.from of a small result ~0.45 µs on a 2020s server
 * core, several times the cost of the pipeline itself. Decoding here is a bounds check and one
 * read per field, and one UTF-8 decode per record that the strings are cut from (a decode call
 * costs ~60 ns whatever the length, so one per string would be most of the cost).
 *
 * serialize writes into a shared slab and returns a view of it (slabs are never reused, so views
 * stay valid); values of the wrong type are rejected with INVALID_RECORD, as is input that is
 * short, too long or names an unknown variant.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Format } from './formats.ts'

export type RowFieldType = 'number' | 'string' | 'boolean'

/** Field names and types, in wire order. */
export type RowSchema = readonly (readonly [name: string, type: RowFieldType])[]

export interface RowFormatOptions {
  /** One schema: every record has these fields. */
  fields?: RowSchema
  /** Several record types told apart by the `tag` field's value (at most 255). */
  tag?: string
  variants?: Readonly<Record<string, RowSchema>>
}

const NUMBER = 0
const STRING = 1
const BOOLEAN = 2
const CODES: Record<RowFieldType, number> = { number: NUMBER, string: STRING, boolean: BOOLEAN }
const SLAB_BYTES = 256 * 1024

/**
 * Node's Buffer methods behind write(s, pos, 'utf8') and toString('utf8', start, end), without
 * their argument parsing (a measurable share when a record has several short strings).
 */
interface Utf8Buffer {
  utf8Write(s: string, offset: number): number
  utf8Slice(start: number, end: number): string
}

interface Variant {
  index: number
  /** The tag's value, or undefined for a single-schema format. */
  tagValue: string | undefined
  names: string[]
  types: number[]
  /** Bytes of the fixed-size fields plus the length prefixes of the strings. */
  fixedBytes: number
}

function invalid(message: string): TributaryError {
  return new TributaryError(ErrorCode.INVALID_RECORD, message)
}

function compile(index: number, tagValue: string | undefined, schema: RowSchema, tag: string | undefined): Variant {
  const names: string[] = []
  const types: number[] = []
  let fixedBytes = tagValue === undefined ? 0 : 1
  for (const [name, type] of schema) {
    const code = CODES[type]
    if (code === undefined) throw new TributaryError(ErrorCode.INVALID_CONFIG, `row format: field ${name} has unknown type ${String(type)}`)
    if (name === tag) throw new TributaryError(ErrorCode.INVALID_CONFIG, `row format: field ${name} is the tag`)
    if (names.includes(name)) throw new TributaryError(ErrorCode.INVALID_CONFIG, `row format: field ${name} appears twice`)
    names.push(name)
    types.push(code)
    fixedBytes += code === NUMBER ? 8 : code === STRING ? 4 : 1
  }
  return { index, tagValue, names, types, fixedBytes }
}

export function rowFormat<T>(options: RowFormatOptions): Format<T> {
  const { fields, tag, variants } = options
  const list: Variant[] = []
  if (fields !== undefined) {
    if (variants !== undefined || tag !== undefined) throw new TributaryError(ErrorCode.INVALID_CONFIG, 'row format: give either fields or tag and variants')
    list.push(compile(0, undefined, fields, undefined))
  } else {
    if (variants === undefined || tag === undefined) throw new TributaryError(ErrorCode.INVALID_CONFIG, 'row format: give either fields or tag and variants')
    const entries = Object.entries(variants)
    if (entries.length === 0 || entries.length > 255) throw new TributaryError(ErrorCode.INVALID_CONFIG, 'row format: 1 to 255 variants')
    entries.forEach(([value, schema], i) => list.push(compile(i, value, schema, tag)))
  }
  const byTag = new Map<unknown, Variant>(list.map((v) => [v.tagValue, v]))
  let slab = Buffer.allocUnsafe(0)
  let used = 0

  function variantOf(value: Record<string, unknown>): Variant {
    const v = tag === undefined ? list[0] : byTag.get(value[tag])
    if (v === undefined) throw invalid(`row format: no variant for ${tag} = ${String(value[tag as string])}`)
    return v
  }

  return {
    name: 'row',
    serialize(value: T): Buffer {
      if (typeof value !== 'object' || value === null) throw invalid(`row format: value is ${value === null ? 'null' : typeof value}, not an object`)
      const record = value as Record<string, unknown>
      const v = variantOf(record)
      const { names, types } = v
      // Room for the worst case (3 UTF-8 bytes per UTF-16 unit) before anything is written.
      let size = v.fixedBytes + 4
      for (let i = 0; i < names.length; i++) {
        if (types[i] !== STRING) continue
        const s = record[names[i] as string]
        if (typeof s !== 'string') throw invalid(`row format: field ${names[i]} is ${typeof s}, not a string`)
        size += s.length * 3
      }
      if (slab.length - used < size) {
        slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, size))
        used = 0
      }
      const start = used
      let pos = start
      if (v.tagValue !== undefined) slab[pos++] = v.index
      let text = start + v.fixedBytes + 4
      for (let i = 0; i < names.length; i++) {
        const x = record[names[i] as string]
        switch (types[i]) {
          case NUMBER:
            if (typeof x !== 'number') throw invalid(`row format: field ${names[i]} is ${typeof x}, not a number`)
            pos = slab.writeDoubleLE(x, pos)
            break
          case STRING:
            pos = slab.writeUInt32LE((x as string).length, pos)
            text += (slab as unknown as Utf8Buffer).utf8Write(x as string, text)
            break
          default:
            if (typeof x !== 'boolean') throw invalid(`row format: field ${names[i]} is ${typeof x}, not a boolean`)
            slab[pos++] = x ? 1 : 0
        }
      }
      slab.writeUInt32LE(text - pos - 4, pos)
      used = text
      return slab.subarray(start, text)
    },
    deserialize(bytes: Buffer): T {
      let pos = 0
      let v: Variant | undefined
      if (tag === undefined) v = list[0]
      else {
        if (bytes.length < 1) throw invalid('row format: empty record')
        v = list[bytes[pos++] as number]
        if (v === undefined) throw invalid(`row format: unknown variant ${bytes[0]}`)
      }
      const { names, types, fixedBytes } = v as Variant
      const end = bytes.length
      if (end < fixedBytes + 4) throw invalid(`row format: record of ${end} bytes, at least ${fixedBytes + 4} expected`)
      const textBytes = bytes.readUInt32LE(fixedBytes)
      if (textBytes !== end - fixedBytes - 4) throw invalid(`row format: ${textBytes} bytes of strings announced, ${end - fixedBytes - 4} present`)
      const text = textBytes === 0 ? '' : (bytes as unknown as Utf8Buffer).utf8Slice(fixedBytes + 4, end)
      let at = 0
      const out: Record<string, unknown> = {}
      if (tag !== undefined) out[tag] = (v as Variant).tagValue
      for (let i = 0; i < names.length; i++) {
        const name = names[i] as string
        switch (types[i]) {
          case NUMBER:
            out[name] = bytes.readDoubleLE(pos)
            pos += 8
            break
          case STRING: {
            const n = bytes.readUInt32LE(pos)
            pos += 4
            if (n > text.length - at) throw invalid(`row format: field ${name} runs past the strings of the record`)
            out[name] = text.slice(at, at + n)
            at += n
            break
          }
          default: {
            const b = bytes[pos++]
            if (b !== 0 && b !== 1) throw invalid(`row format: field ${name} is not a boolean byte`)
            out[name] = b === 1
          }
        }
      }
      // The strings must cover the decoded text exactly (bytes that are not UTF-8 may change its length).
      if (at !== text.length) throw invalid(`row format: ${text.length - at} characters of strings left over`)
      return out as T
    },
  }
}
