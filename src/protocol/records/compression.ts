/**
 * @module The four batch codecs behind one pair of functions. Decompression always takes a ceiling on its
 * output: a few KiB of gzip or zstd can expand to gigabytes, so output past the ceiling fails with
 * RECORD_TOO_LARGE instead of being allocated. Malformed input fails with CORRUPT_RECORD.
 */
import { constants, gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { CompressionCodec, type CompressionName } from './batch-header.ts'
import { lz4CompressFrame, lz4DecompressFrame } from './lz4.ts'
import { snappyCompress, snappyDecompress } from './snappy.ts'

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

/** The codec number for a name, rejecting anything else (names often come from configs). */
export function codecFromName(name: string): CompressionCodec {
  const codec = (CompressionCodec as Record<string, CompressionCodec | undefined>)[name]
  if (codec === undefined || !Object.hasOwn(CompressionCodec, name)) {
    throw new TributaryError(ErrorCode.UNSUPPORTED_COMPRESSION, `unknown compression type '${name}'`)
  }
  return codec
}

export function codecName(codec: CompressionCodec): CompressionName {
  const name = CODEC_NAMES[codec]
  if (name === undefined) throw new TributaryError(ErrorCode.UNSUPPORTED_COMPRESSION, `unknown compression codec ${codec}`)
  return name
}

function view(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

/**
 * Compresses `data` with `codec`. `level` applies to gzip (1-9) and zstd (1-22) and is ignored by snappy
 * and lz4; the default is each library's (gzip 6, zstd 3, as Kafka's defaults).
 */
export function compress(codec: CompressionCodec, data: Uint8Array, level?: number): Buffer {
  switch (codec) {
    case CompressionCodec.none:
      return view(data)
    case CompressionCodec.gzip:
      return gzipSync(data, level === undefined ? {} : { level })
    case CompressionCodec.snappy:
      return snappyCompress(data)
    case CompressionCodec.lz4:
      return lz4CompressFrame(data)
    case CompressionCodec.zstd:
      return zstdCompressSync(data, level === undefined ? {} : { params: { [constants.ZSTD_c_compressionLevel]: level } })
    default:
      throw new TributaryError(ErrorCode.UNSUPPORTED_COMPRESSION, `unknown compression codec ${String(codec)}`)
  }
}

function zlibFailure(codec: string, err: unknown, maxOutput: number): TributaryError {
  const code = (err as { code?: unknown }).code
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    return new TributaryError(ErrorCode.RECORD_TOO_LARGE, `${codec}: decompressed data exceeds the limit of ${maxOutput} bytes`)
  }
  const message = err instanceof Error ? err.message : String(err)
  return new TributaryError(ErrorCode.CORRUPT_RECORD, `${codec}: ${message}`, { cause: err })
}

/** Decompresses `data`; fails with RECORD_TOO_LARGE rather than produce more than `maxOutput` bytes. */
export function decompress(codec: CompressionCodec, data: Uint8Array, maxOutput: number): Buffer {
  if (!Number.isSafeInteger(maxOutput) || maxOutput < 0) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `invalid decompression limit ${maxOutput}`)
  }
  switch (codec) {
    case CompressionCodec.none:
      if (data.length > maxOutput) throw new TributaryError(ErrorCode.RECORD_TOO_LARGE, `data exceeds the limit of ${maxOutput} bytes`)
      return view(data)
    case CompressionCodec.gzip:
      try {
        // zlib rejects a ceiling of 0: ask for at least 1 byte and check the result.
        const out = gunzipSync(data, { maxOutputLength: Math.max(1, maxOutput) })
        if (out.length > maxOutput) throw Object.assign(new Error('too large'), { code: 'ERR_BUFFER_TOO_LARGE' })
        return out
      } catch (err) {
        throw zlibFailure('gzip', err, maxOutput)
      }
    case CompressionCodec.snappy:
      return snappyDecompress(data, maxOutput)
    case CompressionCodec.lz4:
      return lz4DecompressFrame(data, maxOutput)
    case CompressionCodec.zstd:
      try {
        const out = zstdDecompressSync(data, { maxOutputLength: Math.max(1, maxOutput) })
        if (out.length > maxOutput) throw Object.assign(new Error('too large'), { code: 'ERR_BUFFER_TOO_LARGE' })
        return out
      } catch (err) {
        throw zlibFailure('zstd', err, maxOutput)
      }
    default:
      throw new TributaryError(ErrorCode.UNSUPPORTED_COMPRESSION, `unknown compression codec ${String(codec)}`)
  }
}
