/**
 * Micro-benchmark of the RecordBatch v2 codec: encode and decode a batch of 1000 records with 100-byte
 * values, for each compression codec. Prints µs per batch and records per second.
 *
 *   node bench/micro/record-batch.ts [--records N] [--value-bytes B] [--ms M]
 *
 * Values are JSON-like text with varying fields, so compressed sizes are realistic rather than trivial.
 */
import { parseArgs } from 'node:util'
import { type CompressionName } from '../../src/protocol/records/batch-header.ts'
import { type DecodedRecord, type RecordInput, decodeRecords, encodeRecordBatch } from '../../src/protocol/records/record-batch.ts'

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000' },
    'value-bytes': { type: 'string', default: '100' },
    ms: { type: 'string', default: '400' },
  },
})
const count = Number(args.records)
const valueBytes = Number(args['value-bytes'])
const budgetMs = Number(args.ms)

function makeRecords(): RecordInput[] {
  const records: RecordInput[] = []
  let seed = 42
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0)
  for (let i = 0; i < count; i++) {
    const text = `{"id":${i},"user":"user-${next() % 5000}","amount":${(next() % 100000) / 100},"region":"r${next() % 12}","note":"`
    const value = Buffer.alloc(valueBytes, 0x20)
    value.write(text.slice(0, valueBytes))
    for (let j = text.length; j < valueBytes - 2; j++) value[j] = 0x61 + (next() % 26)
    if (valueBytes >= 2) value.write('"}', valueBytes - 2)
    records.push({ value, timestamp: 1_700_000_000_000 + i })
  }
  return records
}

/** Runs fn repeatedly for about budgetMs after a warm-up; returns µs per call. */
function measure(fn: () => void): number {
  const warmUntil = performance.now() + budgetMs / 4
  while (performance.now() < warmUntil) fn()
  let calls = 0
  const start = performance.now()
  let now = start
  while (now - start < budgetMs) {
    for (let i = 0; i < 10; i++) fn()
    calls += 10
    now = performance.now()
  }
  return ((now - start) * 1000) / calls
}

const records = makeRecords()
const codecs: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const rows: string[][] = [['codec', 'batch bytes', 'encode µs', 'encode rec/s', 'decode µs', 'decode rec/s']]
const out: DecodedRecord[] = []
for (const compression of codecs) {
  const batch = encodeRecordBatch(records, { compression })
  const encodeUs = measure(() => {
    encodeRecordBatch(records, { compression })
  })
  const decodeUs = measure(() => {
    out.length = 0
    decodeRecords(batch, 0, batch.length, 'bench', 0, out)
  })
  if (out.length !== count) throw new Error(`decoded ${out.length} records, expected ${count}`)
  const perSecond = (us: number): string => Math.round((count / us) * 1e6).toLocaleString('en-US')
  rows.push([compression, String(batch.length), encodeUs.toFixed(1), perSecond(encodeUs), decodeUs.toFixed(1), perSecond(decodeUs)])
}

console.log(`RecordBatch v2, ${count} records x ${valueBytes}-byte values, node ${process.version}`)
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
