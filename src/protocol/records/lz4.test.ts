import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { lz4CompressFrame, lz4DecompressFrame } from './lz4.ts'
import { xxhash32 } from './xxhash32.ts'

const SMALL_TEXT = 'Tributary streams records; Tributary streams records again and again. 0123456789 0123456789 0123456789!'

/** 140000 bytes: a 100-byte pseudo-random unit (LCG, top byte) repeated, so frames span several 64 KiB blocks. */
function patternInput(): Buffer {
  let x = 1
  const unit = Buffer.alloc(100)
  for (let i = 0; i < unit.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    unit[i] = x >>> 24
  }
  const out = Buffer.alloc(140000)
  for (let i = 0; i < out.length; i++) out[i] = unit[i % 100] as number
  return out
}

/**
 * Frames written by the reference encoder, the lz4 command line tool v1.9.4 (lz4 -q):
 *  - SMALL_DEFAULT: `lz4` on SMALL_TEXT (content checksum, 4 MiB blocks)
 *  - SMALL_BX: `lz4 -BX --content-size --no-frame-crc` (block checksums, content size, no content checksum)
 *  - PATTERN_DEPENDENT: `lz4 -B4 -BD` on patternInput() (64 KiB linked blocks: later blocks match into earlier)
 *  - PATTERN_INDEPENDENT: `lz4 -B4 -BX` (64 KiB independent blocks with block checksums)
 *  - PATTERN_HC: `lz4 -12 --content-size -B5` (high compression, 256 KiB blocks)
 */
const SMALL_DEFAULT = Buffer.from(
    '04224d186440a742000000ff0c5472696275746172792073747265616d73207265636f7264733b201b0006a220616761696e' +
    '20616e640a00ce2e20303132333435363738390b0050363738392100000000dcad0ec1',
  'hex',
)
const SMALL_BX = Buffer.from(
    '04224d1878406700000000000000b442000000ff0c5472696275746172792073747265616d73207265636f7264733b201b00' +
    '06a220616761696e20616e640a00ce2e20303132333435363738390b00503637383921c7f7c2b200000000',
  'hex',
)
const PATTERN_DEPENDENT = Buffer.from(
    'BCJNGERAXm8BAAD/VUGWJ8T5ldmcvw8KMSOvfcTi0uLj6ZNQKCx1QrNN5Pfv7lbhyjGtmWm1O30QG3retONheoMo4J9Lhfoohzh1' +
    'SY9IIL8ePTPvNq0wBRTCWQyzYp+rHaam8YTTM1bd+B3re+O3VudkAP//////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '//////////////////////////////////////////////////////////////////////////////////////////////+EUO/u' +
    'VuHKCgEAAA/c////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '///////////////////////////////////////////////////////oUB49M+82kQAAAP9VrTAFFMJZDLNin6sdpqbxhNMzVt34' +
    'Het747dW50GWJ8T5ldmcvw8KMSOvfcTi0uLj6ZNQKCx1QrNN5Pfv7lbhyjGtmWm1O30QG3retONheoMo4J9Lhfoohzh1SY9IIL8e' +
    'PTPvNmQA/////////////////////////////////////////////4ZQe+O3VucAAAAAZ1hnHQ==',
  'base64',
)
const PATTERN_INDEPENDENT = Buffer.from(
    'BCJNGHRAvW8BAAD/VUGWJ8T5ldmcvw8KMSOvfcTi0uLj6ZNQKCx1QrNN5Pfv7lbhyjGtmWm1O30QG3retONheoMo4J9Lhfoohzh1' +
    'SY9IIL8ePTPvNq0wBRTCWQyzYp+rHaam8YTTM1bd+B3re+O3VudkAP//////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '//////////////////////////////////////////////////////////////////////////////////////////////+EUO/u' +
    'VuHKP3j+nG8BAAD/VTGtmWm1O30QG3retONheoMo4J9Lhfoohzh1SY9IIL8ePTPvNq0wBRTCWQyzYp+rHaam8YTTM1bd+B3re+O3' +
    'VudBlifE+ZXZnL8PCjEjr33E4tLi4+mTUCgsdUKzTeT37+5W4cpkAP//////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '//////////////////////////////////////////////////////////////////////////////////////////////+EUB49' +
    'M+82wR4xh5EAAAD/Va0wBRTCWQyzYp+rHaam8YTTM1bd+B3re+O3VudBlifE+ZXZnL8PCjEjr33E4tLi4+mTUCgsdUKzTeT37+5W' +
    '4coxrZlptTt9EBt63rTjYXqDKOCfS4X6KIc4dUmPSCC/Hj0z7zZkAP////////////////////////////////////////////+G' +
    'UHvjt1bn6zjhOwAAAABnWGcd',
  'base64',
)
const PATTERN_HC = Buffer.from(
    'BCJNGGxQ4CICAAAAAADnkwIAAP9VQZYnxPmV2Zy/DwoxI699xOLS4uPpk1AoLHVCs03k9+/uVuHKMa2ZabU7fRAbet6042F6gyjg' +
    'n0uF+iiHOHVJj0ggvx49M+82rTAFFMJZDLNin6sdpqbxhNMzVt34Het747dW52QA////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '//////////////////////////////////////////////////////////////////////////////////////////////+IUHvj' +
    't1bnAAAAAGdYZx0=',
  'base64',
)

function isCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof TributaryError && err.code === code
}

function onlyTributaryErrors(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof TributaryError)) throw err
  }
}

/** A frame around raw block payloads: `flg`/`bd` as given, header checksum computed. */
function craftFrame(flg: number, bd: number, blocks: Buffer[], extra: Buffer[] = []): Buffer {
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, flg, bd, 0])
  header[6] = (xxhash32(header, 4, 6) >>> 8) & 0xff
  const parts: Buffer[] = [header]
  for (const block of blocks) {
    const size = Buffer.alloc(4)
    size.writeUInt32LE(block.length)
    parts.push(size, block)
  }
  parts.push(Buffer.alloc(4), ...extra)
  return Buffer.concat(parts)
}

/** An LZ4 block: one literal byte, then a match of offset 1 repeating it `matchLength` times. */
function runBlock(matchLength: number): Buffer {
  const ext: number[] = []
  let rest = matchLength - 4 - 15
  while (rest >= 255) {
    ext.push(255)
    rest -= 255
  }
  ext.push(rest)
  return Buffer.from([0x1f, 0x61, 0x01, 0x00, ...ext])
}

function lz4Cli(): boolean {
  const probe = spawnSync('lz4', ['--version'])
  return probe.error === undefined && probe.status === 0
}

describe('lz4 frames from the reference encoder', () => {
  const small = Buffer.from(SMALL_TEXT)
  const pattern = patternInput()
  const cases: [string, Buffer, Buffer][] = [
    ['default options (content checksum)', SMALL_DEFAULT, small],
    ['block checksums and content size', SMALL_BX, small],
    ['linked (dependent) 64 KiB blocks', PATTERN_DEPENDENT, pattern],
    ['independent 64 KiB blocks with block checksums', PATTERN_INDEPENDENT, pattern],
    ['high compression, content size, 256 KiB blocks', PATTERN_HC, pattern],
  ]
  for (const [name, frame, expected] of cases) {
    it(`decodes ${name}`, () => {
      assert.ok(lz4DecompressFrame(frame, expected.length).equals(expected))
    })
  }

  it('detects a flipped content byte through the content checksum', () => {
    const broken = Buffer.from(SMALL_DEFAULT)
    broken[20] = (broken[20] as number) ^ 0x01
    assert.throws(() => lz4DecompressFrame(broken, 1000), isCode(ErrorCode.CORRUPT_RECORD))
  })

  it('detects a flipped block byte through the block checksum', () => {
    const broken = Buffer.from(PATTERN_INDEPENDENT)
    broken[100] = (broken[100] as number) ^ 0x10
    assert.throws(() => lz4DecompressFrame(broken, 200_000), isCode(ErrorCode.CORRUPT_RECORD))
  })

  it('detects a damaged frame descriptor through the header checksum', () => {
    const broken = Buffer.from(SMALL_DEFAULT)
    broken[6] = (broken[6] as number) ^ 0x01
    assert.throws(() => lz4DecompressFrame(broken, 1000), /header checksum/)
  })

  it('rejects a frame whose content size disagrees with its blocks', () => {
    const broken = Buffer.from(SMALL_BX)
    broken.writeUInt32LE(SMALL_TEXT.length + 1, 6)
    broken[14] = (xxhash32(broken, 4, 14) >>> 8) & 0xff
    assert.throws(() => lz4DecompressFrame(broken, 1000), /content/)
  })
})

describe('lz4 against the lz4 command line tool', () => {
  const inputs: [string, Buffer][] = [
    ['text', Buffer.from(SMALL_TEXT.repeat(3000))],
    ['random', Buffer.from(Array.from({ length: 70_000 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 13) & 0xff))],
    ['pattern', patternInput()],
  ]
  const options = [[], ['-BD', '-B4'], ['-BX', '-B5', '--content-size'], ['--no-frame-crc', '-B6'], ['-9']]

  it('decodes what the tool writes and the tool decodes what we write', (t) => {
    if (!lz4Cli()) {
      t.skip('the lz4 command line tool is not installed; the embedded frames above still cover it')
      return
    }
    for (const [name, input] of inputs) {
      for (const opts of options) {
        const made = spawnSync('lz4', ['-q', '-c', ...opts], { input, maxBuffer: 1 << 24 })
        assert.equal(made.status, 0, `lz4 ${opts.join(' ')} failed`)
        assert.ok(lz4DecompressFrame(made.stdout, input.length).equals(input), `${name} with lz4 ${opts.join(' ')}`)
      }
      const ours = lz4CompressFrame(input)
      const back = spawnSync('lz4', ['-q', '-d', '-c'], { input: ours, maxBuffer: 1 << 24 })
      assert.equal(back.status, 0, `lz4 -d rejected our frame for ${name}: ${back.stderr.toString()}`)
      assert.ok(back.stdout.equals(input), `lz4 -d of our ${name} frame`)
    }
  })
})

describe('lz4CompressFrame', () => {
  it('writes version 1, independent blocks, 64 KiB maximum, with a valid header checksum', () => {
    const frame = lz4CompressFrame(Buffer.from(SMALL_TEXT))
    assert.equal(frame.readUInt32LE(0), 0x184d2204)
    assert.equal(frame[4], 0x60)
    assert.equal(frame[5], 0x40)
    assert.equal(frame[6], (xxhash32(frame, 4, 6) >>> 8) & 0xff)
    assert.equal(frame.readUInt32LE(frame.length - 4), 0)
  })

  it('round-trips random and repetitive data of any length', () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 5000 })).map(([unit, times]) => {
        const out = new Uint8Array(unit.length * times)
        for (let i = 0; i < times; i++) out.set(unit, i * unit.length)
        return out
      }),
    )
    fc.assert(
      fc.property(data, (input) => {
        const frame = lz4CompressFrame(input)
        assert.ok(lz4DecompressFrame(frame, input.length).equals(Buffer.from(input)))
      }),
      { numRuns: 300 },
    )
  })

  it('keeps blocks independent across 64 KiB boundaries and shrinks repetitive data', () => {
    const input = Buffer.from(SMALL_TEXT.repeat(5000))
    const frame = lz4CompressFrame(input)
    assert.ok(frame.length < input.length / 10)
    // Our decoder enforces independence for frames that declare it: a match into an earlier block fails.
    assert.ok(lz4DecompressFrame(frame, input.length).equals(input))
  })

  it('stores incompressible blocks raw, so output never exceeds input plus framing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140_000, size: 'large' }), (input) => {
        const blocks = Math.ceil(input.length / 65536)
        assert.ok(lz4CompressFrame(input).length <= 7 + input.length + 4 * blocks + 4)
      }),
      { numRuns: 20 },
    )
  })

  it('gives the same bytes for the same input regardless of what was compressed before', () => {
    const a = Buffer.from(SMALL_TEXT.repeat(50))
    const first = lz4CompressFrame(a)
    lz4CompressFrame(patternInput())
    assert.ok(lz4CompressFrame(a).equals(first))
  })
})

describe('lz4 interoperability with lz4js', () => {
  const lz4js = createRequire(import.meta.url)('lz4js') as {
    compress(src: Uint8Array): Uint8Array
    decompress(src: Uint8Array, maxSize?: number): Uint8Array
  }

  it('lz4js decodes our frames', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (input) => {
        const repeated = Buffer.concat([Buffer.from(input), Buffer.from(input), Buffer.from(SMALL_TEXT)])
        const out = lz4js.decompress(lz4CompressFrame(repeated), repeated.length)
        assert.ok(Buffer.from(out).equals(repeated))
      }),
      { numRuns: 100 },
    )
  })

  it('we decode frames lz4js writes (it does not declare independent blocks)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (input) => {
        const repeated = Buffer.concat([Buffer.from(input), Buffer.from(SMALL_TEXT), Buffer.from(input)])
        assert.ok(lz4DecompressFrame(lz4js.compress(repeated), repeated.length).equals(repeated))
      }),
      { numRuns: 100 },
    )
  })
})

describe('lz4DecompressFrame limits and hostile input', () => {
  it('fails with RECORD_TOO_LARGE one byte below the output size and succeeds at it', () => {
    const input = Buffer.from(SMALL_TEXT.repeat(20))
    const frame = lz4CompressFrame(input)
    assert.ok(lz4DecompressFrame(frame, input.length).equals(input))
    assert.throws(() => lz4DecompressFrame(frame, input.length - 1), isCode(ErrorCode.RECORD_TOO_LARGE))
  })

  it('rejects a decompression bomb by its declared content size before decoding', () => {
    const frame = Buffer.from(SMALL_BX)
    frame.writeUInt32LE(0, 6)
    frame.writeUInt32LE(1, 10) // content size 2^32
    frame[14] = (xxhash32(frame, 4, 14) >>> 8) & 0xff
    assert.throws(() => lz4DecompressFrame(frame, 1 << 20), isCode(ErrorCode.RECORD_TOO_LARGE))
  })

  it('rejects a decompression bomb without a content size once its blocks pass the limit', () => {
    // Three 4 MiB-maximum blocks, each ~16 KB expanding to ~4 MB.
    const block = runBlock(3_999_949)
    const frame = craftFrame(0x60, 0x70, [block, block, block])
    assert.ok(frame.length < 60_000)
    assert.throws(() => lz4DecompressFrame(frame, 1 << 20), isCode(ErrorCode.RECORD_TOO_LARGE))
    assert.equal(lz4DecompressFrame(frame, 12_000_000).length, 3 * 3_999_950)
  })

  it('rejects a block that expands beyond the frame block maximum', () => {
    const frame = craftFrame(0x60, 0x40, [runBlock(70_000)])
    assert.throws(() => lz4DecompressFrame(frame, 1 << 20), /maximum/)
  })

  it('rejects matches that reach before the output or into another independent block', () => {
    // First sequence is a match with offset 1 and no output yet.
    assert.throws(() => lz4DecompressFrame(craftFrame(0x60, 0x40, [Buffer.from([0x00, 0x01, 0x00])]), 100), /offset/)
    // Second block of an independent frame copies from the first.
    const second = Buffer.from([0x00, 0x01, 0x00, 0x00])
    const first = Buffer.from([0x10, 0x61])
    assert.throws(() => lz4DecompressFrame(craftFrame(0x60, 0x40, [first, second]), 100), /offset/)
    // The same blocks in a linked frame are valid: 'a' then four more.
    assert.equal(lz4DecompressFrame(craftFrame(0x40, 0x40, [first, second]), 100).toString(), 'aaaaa')
  })

  it('accepts skippable frames and concatenated frames, rejects trailing garbage', () => {
    const a = lz4CompressFrame(Buffer.from('first '))
    const b = lz4CompressFrame(Buffer.from('second'))
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9])
    assert.equal(lz4DecompressFrame(Buffer.concat([skippable, a, b]), 100).toString(), 'first second')
    assert.throws(() => lz4DecompressFrame(Buffer.concat([a, Buffer.from([1, 2, 3, 4, 5])]), 100), /trailing/)
  })

  it('rejects legacy-format, dictionary and reserved-bit frames with clear errors', () => {
    assert.throws(() => lz4DecompressFrame(Buffer.from([0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0]), 100), /magic/)
    assert.throws(() => lz4DecompressFrame(craftFrame(0x61, 0x40, []), 100), isCode(ErrorCode.UNSUPPORTED_COMPRESSION))
    assert.throws(() => lz4DecompressFrame(craftFrame(0x62, 0x40, []), 100), /reserved/)
    assert.throws(() => lz4DecompressFrame(craftFrame(0x60, 0x30, []), 100), /block maximum/)
    assert.throws(() => lz4DecompressFrame(craftFrame(0x80, 0x40, []), 100), /version/)
    assert.throws(() => lz4DecompressFrame(Buffer.alloc(0), 100), isCode(ErrorCode.CORRUPT_RECORD))
  })

  it('every truncation of a frame fails with a TributaryError, never another exception', () => {
    for (const frame of [SMALL_DEFAULT, SMALL_BX, PATTERN_DEPENDENT]) {
      for (let cut = 0; cut < frame.length; cut++) {
        assert.throws(() => lz4DecompressFrame(frame.subarray(0, cut), 1 << 20), isCode(ErrorCode.CORRUPT_RECORD), `cut at ${cut}`)
      }
    }
  })

  it('random damage to valid frames and random bytes after a valid header only raise TributaryErrors', () => {
    fc.assert(
      fc.property(fc.constantFrom(SMALL_DEFAULT, SMALL_BX, PATTERN_DEPENDENT, PATTERN_HC), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (frame, flips) => {
        const broken = Buffer.from(frame)
        for (const [at, mask] of flips) broken[at % broken.length] = (broken[at % broken.length] as number) ^ mask
        onlyTributaryErrors(() => lz4DecompressFrame(broken, 200_000))
      }),
      { numRuns: 500 },
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0x40, 0x50, 0x60, 0x68), (body, flg) => {
        const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, flg, 0x40, 0])
        header[6] = (xxhash32(header, 4, 6) >>> 8) & 0xff
        onlyTributaryErrors(() => lz4DecompressFrame(Buffer.concat([header, body]), 100_000))
      }),
      { numRuns: 500 },
    )
  })
})
