/**
 * @module Record formats: a small serde object per format, so Avro or Protobuf can follow as
 * further objects of the same shape. deserialize throws on bad input; sources catch it, count
 * the record and route it to an error side output or drop it (never crash the job).
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'

export interface Format<T> {
  readonly name: string
  serialize(value: T): Buffer
  deserialize(bytes: Buffer): T
}

export interface JsonFormatOptions<T> {
  /** Rejects decoded values of the wrong shape (the record is then treated as bad). */
  validate?: (value: unknown) => value is T
}

export function jsonFormat<T>(options: JsonFormatOptions<T> = {}): Format<T> {
  const { validate } = options
  return {
    name: 'json',
    serialize(value: T): Buffer {
      const text = JSON.stringify(value)
      if (text === undefined) throw new TributaryError(ErrorCode.INVALID_RECORD, `value of type ${typeof value} has no JSON form`)
      return Buffer.from(text, 'utf8')
    },
    deserialize(bytes: Buffer): T {
      let value: unknown
      try {
        value = JSON.parse(bytes.toString('utf8'))
      } catch (err) {
        throw new TributaryError(ErrorCode.INVALID_RECORD, `not JSON: ${(err as Error).message}`, { cause: err })
      }
      if (validate !== undefined && !validate(value)) throw new TributaryError(ErrorCode.INVALID_RECORD, 'JSON value failed validation')
      return value as T
    },
  }
}

export function stringFormat(): Format<string> {
  return {
    name: 'string',
    serialize: (value) => Buffer.from(value, 'utf8'),
    deserialize: (bytes) => bytes.toString('utf8'),
  }
}

export function bytesFormat(): Format<Buffer> {
  return {
    name: 'bytes',
    serialize: (value) => value,
    deserialize: (bytes) => bytes,
  }
}
