import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { removeDir, tempDir } from './log-test-support.ts'
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.ts'

function withFile<T>(fn: (fd: number, file: string) => T): T {
  const dir = tempDir()
  const file = path.join(dir, 'timeindex')
  const fd = fs.openSync(file, 'w+')
  try {
    return fn(fd, file)
  } finally {
    fs.closeSync(fd)
    removeDir(dir)
  }
}

describe('time index', () => {
  it('keeps timestamps strictly increasing and finds the last entry below a time', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -1, max: 1000 }), fc.integer({ min: 0, max: 5 })), { maxLength: 100 }), fc.integer({ min: -2, max: 1100 }), (adds, target) => {
        const index = new TimeIndex(1)
        const model: [number, number][] = []
        let rel = 0
        for (const [ts, step] of adds) {
          rel += step
          index.maybeAppend(ts, rel)
          if (model.length === 0 || ts > (model.at(-1) as [number, number])[0]) model.push([ts, rel])
        }
        assert.equal(index.count, model.length)
        const below = model.filter(([ts]) => ts < target).at(-1)
        assert.equal(index.relOffsetBefore(target), below === undefined ? -1 : below[1])
        withFile((fd, file) => {
          index.persist(fd)
          const data = fs.readFileSync(file)
          assert.equal(data.length, model.length * TIME_INDEX_ENTRY_BYTES)
          const parsed = TimeIndex.parse(data)
          assert.ok(parsed !== undefined)
          assert.equal(parsed.count, model.length)
          assert.equal(parsed.relOffsetBefore(target), index.relOffsetBefore(target))
          if (model.length > 0) assert.equal(TimeIndex.parse(Buffer.concat([data, data.subarray(0, 12)])), undefined, 'not increasing')
        })
      }),
      { numRuns: 50 },
    )
  })
})
