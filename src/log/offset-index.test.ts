import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { removeDir, tempDir } from './log-test-support.ts'
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index.ts'

/** Strictly increasing pairs, as the log produces them. */
const arbEntries = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 5000 })), { maxLength: 200 })
  .map((steps) => {
    let offset = -1
    let position = -1
    return steps.map(([dOffset, dPosition]) => [(offset += dOffset), (position += dPosition)] as [number, number])
  })

function withFile<T>(fn: (fd: number, file: string) => T): T {
  const dir = tempDir()
  const file = path.join(dir, 'index')
  const fd = fs.openSync(file, 'w+')
  try {
    return fn(fd, file)
  } finally {
    fs.closeSync(fd)
    removeDir(dir)
  }
}

describe('offset index', () => {
  it('floor lookups agree with a linear search', () => {
    fc.assert(
      fc.property(arbEntries, fc.integer({ min: -5, max: 12_000 }), (entries, target) => {
        const index = new OffsetIndex(1)
        for (const [o, p] of entries) index.append(o, p)
        const floor = entries.filter(([o]) => o <= target).at(-1)
        assert.equal(index.floorPosition(target), floor === undefined ? 0 : floor[1])
        assert.equal(index.floorSlot(target), floor === undefined ? -1 : entries.indexOf(floor))
      }),
    )
  })

  it('round-trips through its file, appending only new entries, and rejects files that cannot be valid', () => {
    fc.assert(
      fc.property(arbEntries, fc.nat(), (entries, cut) => {
        withFile((fd, file) => {
          const index = new OffsetIndex()
          const split = entries.length === 0 ? 0 : cut % entries.length
          for (const [o, p] of entries.slice(0, split)) index.append(o, p)
          index.persist(fd)
          for (const [o, p] of entries.slice(split)) index.append(o, p)
          index.persist(fd)
          const data = fs.readFileSync(file)
          assert.equal(data.length, entries.length * OFFSET_INDEX_ENTRY_BYTES)
          const logSize = (entries.at(-1)?.[1] ?? 0) + 1
          const parsed = OffsetIndex.parse(data, logSize)
          assert.ok(parsed !== undefined)
          assert.deepEqual(Array.from({ length: parsed.count }, (_, i) => [parsed.relOffsetAt(i), parsed.positionAt(i)]), entries)
          assert.equal(OffsetIndex.parse(Buffer.concat([data, Buffer.alloc(3)]), logSize), undefined, 'torn size')
          if (entries.length > 0) assert.equal(OffsetIndex.parse(data, logSize - 1), undefined, 'position past the log end')
          if (entries.length > 1) assert.equal(OffsetIndex.parse(Buffer.concat([data, data.subarray(0, 8)]), logSize), undefined, 'out of order')
        })
      }),
      { numRuns: 50 },
    )
  })

  it('truncates to a position and rewrites the file to match', () => {
    withFile((fd, file) => {
      const index = new OffsetIndex()
      for (let i = 0; i < 10; i++) index.append(i * 3, i * 100)
      index.persist(fd)
      index.truncateToPosition(500)
      index.persist(fd)
      assert.equal(index.count, 5)
      assert.equal(fs.statSync(file).size, 5 * OFFSET_INDEX_ENTRY_BYTES)
      assert.equal(index.floorPosition(1000), 400)
    })
  })
})
