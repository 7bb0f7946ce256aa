import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  NEXMARK_DEFAULT_BASE_TIME,
  type NexmarkAuction,
  type NexmarkBid,
  type NexmarkConfig,
  type NexmarkEvent,
  NexmarkGenerator,
  type NexmarkPerson,
} from './nexmark.ts'
import { isTributaryError } from '../../util/errors.ts'

function generate(count: number, config: NexmarkConfig = {}): NexmarkEvent[] {
  const g = new NexmarkGenerator(config)
  const out: NexmarkEvent[] = []
  const batch: NexmarkEvent[] = []
  while (out.length < count) {
    const n = g.nextBatch(Math.min(997, count - out.length), batch)
    if (n === 0) break
    for (let i = 0; i < n; i++) out.push(batch[i] as NexmarkEvent)
  }
  return out
}

const EVENTS = generate(100_000, { seed: 7 })
const persons = EVENTS.filter((e): e is NexmarkPerson => e.type === 'person')
const auctions = EVENTS.filter((e): e is NexmarkAuction => e.type === 'auction')
const bids = EVENTS.filter((e): e is NexmarkBid => e.type === 'bid')

describe('Nexmark generator', () => {
  it('mixes person:auction:bid as 1:3:46 in every block of 50 events', () => {
    assert.equal(persons.length, 2000)
    assert.equal(auctions.length, 6000)
    assert.equal(bids.length, 92_000)
    for (let block = 0; block < EVENTS.length; block += 50) {
      const types = EVENTS.slice(block, block + 50).map((e) => e.type)
      assert.equal(types.filter((t) => t === 'person').length, 1)
      assert.equal(types.filter((t) => t === 'auction').length, 3)
    }
  })

  it('numbers people and auctions consecutively from 1000', () => {
    assert.deepEqual(
      persons.map((p) => p.id),
      persons.map((_, i) => 1000 + i),
    )
    assert.deepEqual(
      auctions.map((a) => a.id),
      auctions.map((_, i) => 1000 + i),
    )
  })

  it('references recent people and auctions, at most 10 ids ahead of the last generated (the reference lead)', () => {
    let lastPerson = -1
    let lastAuction = -1
    const batchStart = (last: number): number => Math.floor((last - 1000) / 100) * 100 + 1000
    // Non-hot people come from the last 1000 (numActivePeople), auctions from the last 100 in flight.
    const recentPerson = (id: number): boolean => id >= Math.max(1000, lastPerson - 999) && id <= lastPerson + 10
    for (const e of EVENTS) {
      if (e.type === 'person') lastPerson = e.id
      else if (e.type === 'auction') {
        lastAuction = e.id
        assert.ok(e.seller === batchStart(lastPerson) || recentPerson(e.seller), `seller ${e.seller}, last person ${lastPerson}`)
      } else {
        const inFlight = e.auction >= Math.max(1000, lastAuction - 100) && e.auction <= lastAuction + 10
        assert.ok(e.auction === batchStart(lastAuction) || inFlight, `auction ${e.auction}, last ${lastAuction}`)
        assert.ok(e.bidder === batchStart(lastPerson) + 1 || recentPerson(e.bidder), `bidder ${e.bidder}, last person ${lastPerson}`)
      }
    }
    // Ids ahead of their time all exist by the end of the stream.
    const personIds = new Set(persons.map((p) => p.id))
    const auctionIds = new Set(auctions.map((a) => a.id))
    for (const b of bids.slice(0, -1000)) {
      assert.ok(auctionIds.has(b.auction))
      assert.ok(personIds.has(b.bidder))
    }
  })

  it('with strictReferences only references people and auctions already generated', () => {
    const persons = new Set<number>()
    const auctions = new Set<number>()
    for (const e of generate(60_000, { seed: 3, strictReferences: true })) {
      if (e.type === 'person') persons.add(e.id)
      else if (e.type === 'auction') {
        assert.ok(persons.has(e.seller), `seller ${e.seller} not generated yet`)
        auctions.add(e.id)
      } else {
        assert.ok(auctions.has(e.auction), `auction ${e.auction} not generated yet`)
        assert.ok(persons.has(e.bidder), `bidder ${e.bidder} not generated yet`)
      }
    }
  })

  it('skews bids to the hot auction (1/2) and hot bidder (3/4), auctions to the hot seller (3/4)', () => {
    let lastPerson = 999
    let lastAuction = 999
    let hotAuction = 0
    let hotBidder = 0
    let hotSeller = 0
    for (const e of EVENTS) {
      if (e.type === 'person') lastPerson = e.id
      else if (e.type === 'auction') {
        lastAuction = e.id
        if (e.seller === Math.floor((lastPerson - 1000) / 100) * 100 + 1000) hotSeller++
      } else {
        if (e.auction === Math.floor((lastAuction - 1000) / 100) * 100 + 1000) hotAuction++
        if (e.bidder === Math.floor((lastPerson - 1000) / 100) * 100 + 1001) hotBidder++
      }
    }
    // The random picks land on the hot id now and then, so allow a little above the hot share.
    const near = (x: number, p: number): boolean => x > p - 0.01 && x < p + 0.03
    assert.ok(near(hotAuction / bids.length, 0.5), `hot auction share ${hotAuction / bids.length}`)
    assert.ok(near(hotBidder / bids.length, 0.75), `hot bidder share ${hotBidder / bids.length}`)
    assert.ok(near(hotSeller / auctions.length, 0.75), `hot seller share ${hotSeller / auctions.length}`)
  })

  it('advances event time by the inter-event delay: 10 events per ms at 10,000 events/s', () => {
    EVENTS.forEach((e, n) => assert.equal(e.dateTime, NEXMARK_DEFAULT_BASE_TIME + Math.floor(n / 10)))
    const slow = generate(500, { firstEventRate: 250, baseTime: 1_000_000 })
    slow.forEach((e, n) => assert.equal(e.dateTime, 1_000_000 + n * 4))
    for (const a of auctions) assert.ok(a.expires > a.dateTime)
  })

  it('shuffles event times within out-of-order groups and keeps the watermark below what follows', () => {
    const g = new NexmarkGenerator({ seed: 1, outOfOrderGroupSize: 10, firstEventRate: 1000 })
    const times: number[] = []
    let outOfOrder = 0
    let maxSoFar = -Infinity
    for (let i = 0; i < 10_000; i++) {
      const wm = g.watermark()
      const e = g.next() as NexmarkEvent
      assert.ok(e.dateTime >= wm, `event ${i} at ${e.dateTime} below watermark ${wm}`)
      if (e.dateTime < maxSoFar) outOfOrder++
      maxSoFar = Math.max(maxSoFar, e.dateTime)
      times.push(e.dateTime)
    }
    assert.ok(outOfOrder > 1000)
    // Each group holds exactly its own 10 timestamps (953 is coprime to 10: a permutation).
    const sorted = times.slice().sort((a, b) => a - b)
    for (let i = 0; i < times.length; i += 10) {
      assert.deepEqual(times.slice(i, i + 10).sort((a, b) => a - b), sorted.slice(i, i + 10))
    }
  })

  it('draws prices log-uniformly in [100, 1e8] and fields from the reference domains', () => {
    const prices = bids.map((b) => b.price)
    assert.ok(prices.every((p) => Number.isInteger(p) && p >= 100 && p <= 1e8))
    const belowMedian = prices.filter((p) => p < 1e5).length / prices.length
    assert.ok(Math.abs(belowMedian - 0.5) < 0.01, `share below 1e5: ${belowMedian}`)
    const belowDecade = prices.filter((p) => p < 1e3).length / prices.length
    assert.ok(Math.abs(belowDecade - 1 / 6) < 0.01)
    for (const a of auctions) {
      assert.ok(a.category >= 10 && a.category <= 14)
      assert.ok(a.reserve >= a.initialBid)
      assert.ok(a.itemName.length < 20 && a.description.length < 100)
    }
    for (const p of persons) {
      assert.ok(['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'].includes(p.state))
      assert.match(p.creditCard, /^\d{4} \d{4} \d{4} \d{4}$/)
      assert.match(p.emailAddress, /^[a-z ]*@[a-z ]*\.com$/)
    }
    const hotChannels = bids.filter((b) => ['Google', 'Facebook', 'Baidu', 'Apple'].includes(b.channel))
    assert.ok(Math.abs(hotChannels.length / bids.length - 0.5) < 0.01)
    assert.equal(new Set(hotChannels.map((b) => b.url)).size, 4)
    const others = bids.filter((b) => b.channel.startsWith('channel-'))
    const withId = others.filter((b) => b.url.includes('&channel_id=')).length / others.length
    assert.ok(withId > 0.85 && withId < 0.95, `share of channel URLs with an id: ${withId}`)
    // A channel always maps to the same URL.
    const urlOf = new Map<string, string>()
    for (const b of others) {
      assert.equal(urlOf.get(b.channel) ?? b.url, b.url)
      urlOf.set(b.channel, b.url)
    }
  })

  it('pads events to the reference average sizes (person 200, auction 500, bid 100 bytes)', () => {
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length
    const bidSize = mean(bids.map((b) => 32 + b.extra.length))
    const personSize = mean(
      persons.map((p) => 8 + p.name.length + p.emailAddress.length + p.creditCard.length + p.city.length + p.state.length + p.extra.length),
    )
    const auctionSize = mean(auctions.map((a) => 48 + a.itemName.length + a.description.length + a.extra.length))
    assert.ok(Math.abs(bidSize / 100 - 1) < 0.02, `bid ${bidSize}`)
    assert.ok(Math.abs(personSize / 200 - 1) < 0.02, `person ${personSize}`)
    assert.ok(Math.abs(auctionSize / 500 - 1) < 0.02, `auction ${auctionSize}`)
  })

  it('is deterministic by seed, random-access, and splits into strided parallel generators', () => {
    assert.deepEqual(generate(3000, { seed: 7 }), EVENTS.slice(0, 3000))
    const other = generate(3000, { seed: 8 })
    assert.notDeepEqual(
      other.filter((e) => e.type === 'bid').map((b) => (b as NexmarkBid).price),
      bids.slice(0, other.filter((e) => e.type === 'bid').length).map((b) => b.price),
    )
    const g = new NexmarkGenerator({ seed: 7 })
    assert.deepEqual(g.eventAt(54_321), EVENTS[54_321])
    const parts = [0, 1, 2].map((i) => generate(1000, { seed: 7, firstEvent: i, eventStride: 3 }))
    for (let n = 0; n < 3000; n++) assert.deepEqual(parts[n % 3]?.[Math.floor(n / 3)], EVENTS[n])
  })

  it('stops at maxEvents', () => {
    const g = new NexmarkGenerator({ maxEvents: 120 })
    const out: NexmarkEvent[] = []
    assert.equal(g.nextBatch(100, out), 100)
    assert.equal(g.nextBatch(100, out), 20)
    assert.equal(g.nextBatch(100, out), 0)
    assert.equal(g.next(), undefined)
    assert.equal(g.eventsGenerated, 120)
  })

  it('reproduces the reference bidder-id quirk only when asked', () => {
    const quirky = generate(5000, { seed: 7, bidderIdQuirk: true }).filter((e): e is NexmarkBid => e.type === 'bid')
    quirky.forEach((b, i) => assert.equal(b.bidder, (bids[i] as NexmarkBid).bidder + 1000))
  })

  it('rejects invalid configuration', () => {
    for (const bad of [{ bidProportion: 0 }, { hotAuctionRatio: 1.5 }, { firstEventRate: -1 }, { seed: -1 }, { eventStride: 0 }]) {
      assert.throws(() => new NexmarkGenerator(bad), (e) => isTributaryError(e, 'INVALID_CONFIG'))
    }
  })
})
