/**
 * @module CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2.
 * Uses the hardware-accelerated @node-rs/crc32 when it loads; otherwise a slicing-by-8 table in JS.
 */
import { createRequire } from 'node:module'

const POLY = 0x82f63b78
const TABLES = buildTables()

function buildTables(): Uint32Array[] {
  const tables: Uint32Array[] = []
  const t0 = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t0[i] = c >>> 0
  }
  tables.push(t0)
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1] as Uint32Array
    const next = new Uint32Array(256)
    for (let i = 0; i < 256; i++) next[i] = ((prev[i] as number) >>> 8) ^ (t0[(prev[i] as number) & 0xff] as number)
    tables.push(next)
  }
  return tables
}

/** Pure-JS CRC-32C; exported for tests that compare it with the native one. */
export function crc32cJs(data: Uint8Array, start = 0, end = data.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  ]
  let crc = 0xffffffff
  let i = start
  const end8 = start + ((end - start) & ~7)
  for (; i < end8; i += 8) {
    const a = crc ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24))
    crc =
      (t7[a & 0xff] as number) ^
      (t6[(a >>> 8) & 0xff] as number) ^
      (t5[(a >>> 16) & 0xff] as number) ^
      (t4[a >>> 24] as number) ^
      (t3[data[i + 4] as number] as number) ^
      (t2[data[i + 5] as number] as number) ^
      (t1[data[i + 6] as number] as number) ^
      (t0[data[i + 7] as number] as number)
  }
  for (; i < end; i++) crc = (t0[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

type NativeCrc = (input: Uint8Array, initialState?: number) => number

function loadNative(): NativeCrc | undefined {
  try {
    const require = createRequire(import.meta.url)
    const mod = require('@node-rs/crc32') as { crc32c?: NativeCrc }
    const fn = mod.crc32c
    // Known answer: CRC-32C("123456789") = 0xe3069283.
    if (fn !== undefined && fn(Buffer.from('123456789')) >>> 0 === 0xe3069283) return fn
  } catch {
    // fall back to JS
  }
  return undefined
}

const native = loadNative()

/** CRC-32C of data[start, end). */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  if (native !== undefined) {
    const view = start === 0 && end === data.length ? data : data.subarray(start, end)
    return native(view) >>> 0
  }
  return crc32cJs(data, start, end)
}

export const crc32cIsNative = native !== undefined
