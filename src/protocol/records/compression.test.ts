import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { CompressionCodec } from './batch-header.ts'
import { codecFromName, codecName, compress, decompress } from './compression.ts'

const CODECS = [CompressionCodec.none, CompressionCodec.gzip, CompressionCodec.snappy, CompressionCodec.lz4, CompressionCodec.zstd] as const

function isCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof TributaryError && err.code === code
}

function cli(name: string): boolean {
  const probe = spawnSync(name, ['--version'])
  return probe.error === undefined && probe.status === 0
}

describe('codec names', () => {
  it('maps Kafka compression.type names to attribute codes and back', () => {
    assert.deepEqual(
      ['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((n) => codecFromName(n)),
      [0, 1, 2, 3, 4],
    )
    for (const codec of CODECS) assert.equal(codecFromName(codecName(codec)), codec)
  })

  it('rejects unknown names and codes with UNSUPPORTED_COMPRESSION', () => {
    for (const name of ['brotli', 'GZIP', 'toString', '__proto__', '']) {
      assert.throws(() => codecFromName(name), isCode(ErrorCode.UNSUPPORTED_COMPRESSION), name)
    }
    assert.throws(() => codecName(5 as CompressionCodec), isCode(ErrorCode.UNSUPPORTED_COMPRESSION))
    assert.throws(() => decompress(7 as CompressionCodec, Buffer.alloc(4), 100), isCode(ErrorCode.UNSUPPORTED_COMPRESSION))
  })
})

describe('compress / decompress', () => {
  it('round-trips random and repetitive data with every codec', () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 4000 }),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 2000 })).map(([unit, times]) =>
        Buffer.concat(Array.from({ length: times }, () => Buffer.from(unit))),
      ),
    )
    fc.assert(
      fc.property(data, fc.constantFrom(...CODECS), (input, codec) => {
        const out = decompress(codec, compress(codec, input), input.length)
        assert.ok(out.equals(Buffer.from(input)))
      }),
      { numRuns: 300 },
    )
  })

  it('honours compression levels for gzip and zstd', () => {
    const input = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(500))
    for (const codec of [CompressionCodec.gzip, CompressionCodec.zstd]) {
      for (const level of [1, 9]) assert.ok(decompress(codec, compress(codec, input, level), input.length).equals(input))
    }
    assert.ok(compress(CompressionCodec.zstd, input, 1).length >= compress(CompressionCodec.zstd, input, 19).length)
  })

  it('succeeds at exactly the output limit and fails with RECORD_TOO_LARGE one byte below it, for every codec', () => {
    const input = Buffer.from('limit '.repeat(1000))
    for (const codec of CODECS) {
      const packed = compress(codec, input)
      assert.equal(decompress(codec, packed, input.length).length, input.length)
      assert.throws(() => decompress(codec, packed, input.length - 1), isCode(ErrorCode.RECORD_TOO_LARGE), codecName(codec))
    }
  })

  it('stops compression bombs of every codec at the limit instead of inflating them', () => {
    const zeros = Buffer.alloc(20 << 20)
    for (const codec of [CompressionCodec.gzip, CompressionCodec.zstd, CompressionCodec.lz4, CompressionCodec.snappy]) {
      const bomb = compress(codec, zeros)
      assert.ok(bomb.length < zeros.length / 20, `${codecName(codec)} bomb is ${bomb.length} bytes`)
      assert.throws(() => decompress(codec, bomb, 1 << 20), isCode(ErrorCode.RECORD_TOO_LARGE), codecName(codec))
    }
  })

  it('reports garbage and truncated input as CORRUPT_RECORD with the codec named', () => {
    const garbage = Buffer.from('definitely not compressed data, just text')
    for (const codec of [CompressionCodec.gzip, CompressionCodec.snappy, CompressionCodec.lz4, CompressionCodec.zstd]) {
      assert.throws(
        () => decompress(codec, garbage, 1000),
        (err) => isCode(ErrorCode.CORRUPT_RECORD)(err) && (err as Error).message.startsWith(codecName(codec)),
        codecName(codec),
      )
      const packed = compress(codec, Buffer.from('some data to compress, some data to compress'))
      assert.throws(() => decompress(codec, packed.subarray(0, packed.length - 3), 1000), isCode(ErrorCode.CORRUPT_RECORD))
    }
  })

  it('random bytes only ever raise TributaryErrors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...CODECS), (bytes, codec) => {
        try {
          decompress(codec, bytes, 100_000)
        } catch (err) {
          if (!(err instanceof TributaryError)) throw err
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('rejects a negative or fractional limit as INVALID_ARGUMENT', () => {
    assert.throws(() => decompress(CompressionCodec.gzip, Buffer.alloc(1), -1), isCode(ErrorCode.INVALID_ARGUMENT))
    assert.throws(() => decompress(CompressionCodec.gzip, Buffer.alloc(1), 1.5), isCode(ErrorCode.INVALID_ARGUMENT))
  })
})

describe('interoperability with the gzip and zstd command line tools', () => {
  const input = Buffer.from('Kafka batches compressed by another implementation. '.repeat(2000))

  for (const [tool, codec] of [['gzip', CompressionCodec.gzip], ['zstd', CompressionCodec.zstd]] as const) {
    it(`${tool}: decodes what the tool writes and the tool decodes what we write`, (t) => {
      if (!cli(tool)) {
        t.skip(`the ${tool} command line tool is not installed`)
        return
      }
      const made = spawnSync(tool, ['-c', '-q'], { input, maxBuffer: 1 << 24 })
      assert.equal(made.status, 0)
      assert.ok(decompress(codec, made.stdout, input.length).equals(input))
      const back = spawnSync(tool, ['-d', '-c', '-q'], { input: compress(codec, input), maxBuffer: 1 << 24 })
      assert.equal(back.status, 0, back.stderr.toString())
      assert.ok(back.stdout.equals(input))
    })
  }
})
