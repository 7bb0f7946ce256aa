import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { SeededRandom } from './random.ts'

describe('SeededRandom', () => {
  it('repeats a sequence for the same (seed, stream) and differs otherwise', () => {
    const draw = (r: SeededRandom): number[] => Array.from({ length: 20 }, () => r.nextUint32())
    assert.deepEqual(draw(new SeededRandom(42, 7)), draw(new SeededRandom(42, 7)))
    assert.notDeepEqual(draw(new SeededRandom(42, 7)), draw(new SeededRandom(42, 8)))
    assert.notDeepEqual(draw(new SeededRandom(42, 7)), draw(new SeededRandom(43, 7)))
    // Streams beyond 2^32 are distinct from their low word.
    assert.notDeepEqual(draw(new SeededRandom(1, 5)), draw(new SeededRandom(1, 5 + 2 ** 32)))
    const r = new SeededRandom(42, 7)
    const first = draw(r)
    r.reseed(42, 7)
    assert.deepEqual(draw(r), first)
  })

  it('draws integers uniformly (chi-square over 10 bins, and across neighbouring streams)', () => {
    const bins = new Array<number>(10).fill(0)
    const r = new SeededRandom(1)
    const n = 100_000
    for (let i = 0; i < n; i++) bins[r.nextInt(10)]!++
    const chi = bins.reduce((s, b) => s + (b - n / 10) ** 2 / (n / 10), 0)
    // 9 degrees of freedom: 27.9 is the 0.999 quantile.
    assert.ok(chi < 27.9, `chi-square ${chi}`)
    // The first draw of consecutive streams (how the Nexmark generator seeds events) is uniform too.
    const first = new Array<number>(10).fill(0)
    for (let s = 0; s < n; s++) first[new SeededRandom(9, s).nextInt(10)]!++
    const chiStreams = first.reduce((acc, b) => acc + (b - n / 10) ** 2 / (n / 10), 0)
    assert.ok(chiStreams < 27.9, `chi-square across streams ${chiStreams}`)
  })

  it('keeps doubles in [0, 1) with the right mean, and exponentials with the right mean', () => {
    const r = new SeededRandom(3)
    let sum = 0
    let expSum = 0
    for (let i = 0; i < 50_000; i++) {
      const d = r.nextDouble()
      assert.ok(d >= 0 && d < 1)
      sum += d
      expSum += r.nextExponential(5)
    }
    assert.ok(Math.abs(sum / 50_000 - 0.5) < 0.005)
    assert.ok(Math.abs(expSum / 50_000 - 5) < 0.1)
  })
})
