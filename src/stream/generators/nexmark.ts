/**
 * @module The Nexmark benchmark's event generator (people, auctions, bids), following the
 * reference Java generator of nexmark/nexmark: the 1:3:46 event mix, the id arithmetic that makes
 * bids point at recent auctions and people, hot auctions / bidders / sellers, log-uniform prices,
 * channels and URLs, padding (`extra`) to the average event sizes, and event times advancing by
 * a fixed inter-event delay from `baseTime` (10,000 events/s by default), independent of the clock.
 *
 * Differences from the reference, on purpose:
 * - Seeded and random-access: event n is a pure function of (config, seed, n), so a parallel source
 *   task i of p can produce events i, i+p, i+2p... (`firstEvent`, `eventStride`) and together they
 *   emit exactly the sequential stream. The reference uses one unseeded Random per generator.
 * - Random strings are cut from a seeded pool of characters with the reference's distribution
 *   (letters, 1 in 13 a space) instead of being built char by char: same lengths, far cheaper.
 * - The reference adds FIRST_PERSON_ID to a bid's bidder twice (newer BidGenerator versions), so
 *   bidders never join to people; `bidderIdQuirk: true` reproduces that, the default does not.
 * - Like the reference, a bid or auction may name an id up to 10 ahead of the last one generated
 *   (so the join sees "future" keys); `strictReferences: true` only names ids already generated.
 */

import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { SeededRandom } from './random.ts'

export interface NexmarkPerson {
  type: 'person'
  id: number
  name: string
  emailAddress: string
  creditCard: string
  city: string
  state: string
  /** Event time, epoch ms. */
  dateTime: number
  extra: string
}

export interface NexmarkAuction {
  type: 'auction'
  id: number
  itemName: string
  description: string
  initialBid: number
  reserve: number
  dateTime: number
  expires: number
  seller: number
  category: number
  extra: string
}

export interface NexmarkBid {
  type: 'bid'
  auction: number
  bidder: number
  price: number
  channel: string
  url: string
  dateTime: number
  extra: string
}

export type NexmarkEvent = NexmarkPerson | NexmarkAuction | NexmarkBid

export interface NexmarkConfig {
  seed?: number
  /** Event time of event 0, epoch ms (default 2025-01-01T00:00:00Z). */
  baseTime?: number
  /** Events per second of event time (default 10,000). */
  firstEventRate?: number
  /** The reference divides the rate among this many generators (default 1). */
  numEventGenerators?: number
  personProportion?: number
  auctionProportion?: number
  bidProportion?: number
  /** A bid is for the hot auction with probability 1 - 1/ratio (default 2). */
  hotAuctionRatio?: number
  /** An auction is by the hot seller with probability 1 - 1/ratio (default 4). */
  hotSellersRatio?: number
  /** A bid is by the hot bidder with probability 1 - 1/ratio (default 4). */
  hotBiddersRatio?: number
  numInFlightAuctions?: number
  numActivePeople?: number
  avgPersonByteSize?: number
  avgAuctionByteSize?: number
  avgBidByteSize?: number
  /**
   * Event times are permuted within groups of this many events, as n * 953 mod size (default 1:
   * in order). As in the reference, a size dividing 952 (e.g. 7) leaves the order unchanged.
   */
  outOfOrderGroupSize?: number
  /** Stop after this many events from this generator (default: unbounded). */
  maxEvents?: number
  /** First event number this generator emits (default 0). */
  firstEvent?: number
  /** Distance between the event numbers this generator emits (default 1). */
  eventStride?: number
  strictReferences?: boolean
  bidderIdQuirk?: boolean
}

export const NEXMARK_FIRST_PERSON_ID = 1000
export const NEXMARK_FIRST_AUCTION_ID = 1000
export const NEXMARK_FIRST_CATEGORY_ID = 10
export const NEXMARK_NUM_CATEGORIES = 5
export const NEXMARK_DEFAULT_BASE_TIME = Date.UTC(2025, 0, 1)
/** The hot id is the first of the last batch of this many auctions / people. */
const HOT_RATIO = 100
const ID_LEAD = 10
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'] as const
const CHANNELS_NUMBER = 10_000
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'] as const
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'] as const
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'] as const
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'] as const
const POOL_SIZE = 1 << 16
// Derives the URL of a channel from (seed, channel) independently of the event stream.
const URL_STREAM_SALT = 0x5bd1e995

type Resolved = Required<NexmarkConfig>

function resolve(config: NexmarkConfig): Resolved {
  const c: Resolved = {
    seed: config.seed ?? 0,
    baseTime: config.baseTime ?? NEXMARK_DEFAULT_BASE_TIME,
    firstEventRate: config.firstEventRate ?? 10_000,
    numEventGenerators: config.numEventGenerators ?? 1,
    personProportion: config.personProportion ?? 1,
    auctionProportion: config.auctionProportion ?? 3,
    bidProportion: config.bidProportion ?? 46,
    hotAuctionRatio: config.hotAuctionRatio ?? 2,
    hotSellersRatio: config.hotSellersRatio ?? 4,
    hotBiddersRatio: config.hotBiddersRatio ?? 4,
    numInFlightAuctions: config.numInFlightAuctions ?? 100,
    numActivePeople: config.numActivePeople ?? 1000,
    avgPersonByteSize: config.avgPersonByteSize ?? 200,
    avgAuctionByteSize: config.avgAuctionByteSize ?? 500,
    avgBidByteSize: config.avgBidByteSize ?? 100,
    outOfOrderGroupSize: config.outOfOrderGroupSize ?? 1,
    maxEvents: config.maxEvents ?? Infinity,
    firstEvent: config.firstEvent ?? 0,
    eventStride: config.eventStride ?? 1,
    strictReferences: config.strictReferences ?? false,
    bidderIdQuirk: config.bidderIdQuirk ?? false,
  }
  const positive: (keyof Resolved)[] = [
    'personProportion',
    'auctionProportion',
    'bidProportion',
    'hotAuctionRatio',
    'hotSellersRatio',
    'hotBiddersRatio',
    'numInFlightAuctions',
    'numActivePeople',
    'outOfOrderGroupSize',
    'eventStride',
    'numEventGenerators',
  ]
  for (const k of positive) {
    const v = c[k]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, `nexmark ${k} must be a positive integer, got ${v}`)
    }
  }
  for (const k of ['seed', 'firstEvent', 'avgPersonByteSize', 'avgAuctionByteSize', 'avgBidByteSize', 'baseTime'] as const) {
    if (!Number.isSafeInteger(c[k]) || c[k] < 0) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, `nexmark ${k} must be a non-negative integer, got ${c[k]}`)
    }
  }
  if (!(c.firstEventRate > 0) || !Number.isFinite(c.firstEventRate)) {
    throw new TributaryError(ErrorCode.INVALID_CONFIG, `nexmark firstEventRate must be positive, got ${c.firstEventRate}`)
  }
  if (!(c.maxEvents >= 0)) throw new TributaryError(ErrorCode.INVALID_CONFIG, `nexmark maxEvents must be >= 0, got ${c.maxEvents}`)
  return c
}

function reverseBits32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1)
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2)
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4)
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8)
  return ((x >>> 16) | (x << 16)) | 0
}

export class NexmarkGenerator {
  readonly config: Readonly<Resolved>
  private readonly rng: SeededRandom
  private readonly totalProportion: number
  private readonly interEventDelayUs: number
  /** Letters with 1 in 13 spaces, as the reference's nextString draws them. */
  private readonly textPool: string
  /** Letters only, as the reference's nextExactString (the `extra` padding). */
  private readonly letterPool: string
  private readonly hotUrls: string[]
  private readonly channelUrls = new Map<number, string>()
  private emitted = 0

  constructor(config: NexmarkConfig = {}) {
    this.config = resolve(config)
    const c = this.config
    this.totalProportion = c.personProportion + c.auctionProportion + c.bidProportion
    this.interEventDelayUs = (1_000_000 / c.firstEventRate) * c.numEventGenerators
    this.rng = new SeededRandom(c.seed, 0)
    const poolRng = new SeededRandom(c.seed ^ 0x2545f491, 1)
    const text: string[] = []
    const letters: string[] = []
    for (let i = 0; i < POOL_SIZE; i++) {
      text.push(poolRng.nextInt(13) === 0 ? ' ' : String.fromCharCode(97 + poolRng.nextInt(26)))
      letters.push(String.fromCharCode(97 + poolRng.nextInt(26)))
    }
    this.textPool = text.join('')
    this.letterPool = letters.join('')
    this.hotUrls = HOT_CHANNELS.map(() => NexmarkGenerator.baseUrl(poolRng))
  }

  // ---- the reference's id and time arithmetic ----

  /** Event time of event number n, epoch ms. */
  timestampForEvent(n: number): number {
    return this.config.baseTime + Math.floor(Math.floor(n * this.interEventDelayUs) / 1000)
  }

  /** Event numbers are permuted within groups of outOfOrderGroupSize (identity for 1). */
  adjustedEventNumber(n: number): number {
    const g = this.config.outOfOrderGroupSize
    return Math.floor(n / g) * g + ((n * 953) % g)
  }

  /** The base-0 id of the last person generated at or before event id `eventId`. */
  lastBase0PersonId(eventId: number): number {
    const c = this.config
    const epoch = Math.floor(eventId / this.totalProportion)
    let offset = eventId % this.totalProportion
    if (offset >= c.personProportion) offset = c.personProportion - 1
    return epoch * c.personProportion + offset
  }

  /** The base-0 id of the last auction generated at or before event id `eventId` (-1: none yet). */
  lastBase0AuctionId(eventId: number): number {
    const c = this.config
    let epoch = Math.floor(eventId / this.totalProportion)
    let offset = eventId % this.totalProportion
    if (offset < c.personProportion) {
      epoch--
      offset = c.auctionProportion - 1
    } else if (offset >= c.personProportion + c.auctionProportion) {
      offset = c.auctionProportion - 1
    } else {
      offset -= c.personProportion
    }
    return epoch * c.auctionProportion + offset
  }

  private get lead(): number {
    return this.config.strictReferences ? 0 : ID_LEAD
  }

  private nextBase0PersonId(eventId: number): number {
    const numPeople = this.lastBase0PersonId(eventId) + 1
    const active = Math.min(numPeople, this.config.numActivePeople)
    return numPeople - active + this.rng.nextInt(active + this.lead)
  }

  private nextBase0AuctionId(eventId: number): number {
    const maxAuction = this.lastBase0AuctionId(eventId)
    const minAuction = Math.max(maxAuction - this.config.numInFlightAuctions, 0)
    return minAuction + this.rng.nextInt(maxAuction - minAuction + 1 + this.lead)
  }

  // ---- strings ----

  /** 3..maxLength-1 characters (letters, some spaces), trimmed, like the reference's nextString. */
  private nextString(maxLength: number): string {
    const len = 3 + this.rng.nextInt(maxLength - 3)
    const start = this.rng.nextInt(POOL_SIZE - len)
    return this.textPool.substring(start, start + len).trim()
  }

  /** Padding so that currentSize + length averages desiredAverageSize (±20 %). */
  private nextExtra(currentSize: number, desiredAverageSize: number): string {
    if (currentSize > desiredAverageSize) return ''
    const desired = desiredAverageSize - currentSize
    const delta = Math.round(desired * 0.2)
    const size = desired - delta + (delta === 0 ? 0 : this.rng.nextInt(2 * delta))
    const start = this.rng.nextInt(POOL_SIZE - size)
    return this.letterPool.substring(start, start + size)
  }

  private static urlPart(rng: SeededRandom): string {
    const len = 3 + rng.nextInt(2)
    let s = ''
    for (let i = 0; i < len; i++) s += rng.nextInt(13) === 0 ? '_' : String.fromCharCode(97 + rng.nextInt(26))
    return s
  }

  private static baseUrl(rng: SeededRandom): string {
    const a = NexmarkGenerator.urlPart(rng)
    const b = NexmarkGenerator.urlPart(rng)
    const c = NexmarkGenerator.urlPart(rng)
    return `https://www.nexmark.com/${a}/${b}/${c}/item.htm?query=1`
  }

  private channelUrl(channel: number): string {
    let url = this.channelUrls.get(channel)
    if (url === undefined) {
      const rng = new SeededRandom(this.config.seed ^ URL_STREAM_SALT, channel)
      url = NexmarkGenerator.baseUrl(rng)
      if (rng.nextInt(10) > 0) {
        // Java's Math.abs(Integer.MIN_VALUE) stays negative; keep that for channel 1.
        const r = reverseBits32(channel)
        url += `&channel_id=${r === -0x80000000 ? r : Math.abs(r)}`
      }
      this.channelUrls.set(channel, url)
    }
    return url
  }

  private nextPrice(): number {
    return Math.round(Math.pow(10, this.rng.nextDouble() * 6) * 100)
  }

  // ---- events ----

  private person(eventId: number, dateTime: number): NexmarkPerson {
    const rng = this.rng
    const id = this.lastBase0PersonId(eventId) + NEXMARK_FIRST_PERSON_ID
    const name = `${FIRST_NAMES[rng.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[rng.nextInt(LAST_NAMES.length)]}`
    const emailAddress = `${this.nextString(7)}@${this.nextString(5)}.com`
    let creditCard = ''
    for (let i = 0; i < 4; i++) {
      if (i > 0) creditCard += ' '
      creditCard += String(rng.nextInt(10_000)).padStart(4, '0')
    }
    const city = US_CITIES[rng.nextInt(US_CITIES.length)] as string
    const state = US_STATES[rng.nextInt(US_STATES.length)] as string
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length
    const extra = this.nextExtra(size, this.config.avgPersonByteSize)
    return { type: 'person', id, name, emailAddress, creditCard, city, state, dateTime, extra }
  }

  private auction(eventNumber: number, eventId: number, dateTime: number): NexmarkAuction {
    const c = this.config
    const rng = this.rng
    const id = this.lastBase0AuctionId(eventId) + NEXMARK_FIRST_AUCTION_ID
    let seller: number
    if (rng.nextInt(c.hotSellersRatio) > 0) {
      seller = Math.floor(this.lastBase0PersonId(eventId) / HOT_RATIO) * HOT_RATIO
    } else {
      seller = this.nextBase0PersonId(eventId)
    }
    seller += NEXMARK_FIRST_PERSON_ID
    const category = NEXMARK_FIRST_CATEGORY_ID + rng.nextInt(NEXMARK_NUM_CATEGORIES)
    const initialBid = this.nextPrice()
    // Auction length averages the time until numInFlightAuctions more auctions have been created.
    const eventsForAuctions = Math.floor((c.numInFlightAuctions * this.totalProportion) / c.auctionProportion)
    const horizonMs = this.timestampForEvent(this.adjustedEventNumber(eventNumber) + eventsForAuctions) - dateTime
    const expires = dateTime + 1 + rng.nextInt(Math.max(horizonMs * 2, 1))
    const itemName = this.nextString(20)
    const description = this.nextString(100)
    const reserve = initialBid + this.nextPrice()
    const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8
    const extra = this.nextExtra(size, c.avgAuctionByteSize)
    return { type: 'auction', id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra }
  }

  private bid(eventId: number, dateTime: number): NexmarkBid {
    const c = this.config
    const rng = this.rng
    let auction: number
    if (rng.nextInt(c.hotAuctionRatio) > 0) {
      auction = Math.floor(this.lastBase0AuctionId(eventId) / HOT_RATIO) * HOT_RATIO
    } else {
      auction = this.nextBase0AuctionId(eventId)
    }
    auction += NEXMARK_FIRST_AUCTION_ID
    let bidder: number
    if (rng.nextInt(c.hotBiddersRatio) > 0) {
      // The second person of the batch, so hot bidders and hot sellers differ.
      bidder = Math.floor(this.lastBase0PersonId(eventId) / HOT_RATIO) * HOT_RATIO + 1
      if (c.strictReferences) bidder = Math.min(bidder, this.lastBase0PersonId(eventId))
    } else {
      bidder = this.nextBase0PersonId(eventId)
    }
    bidder += NEXMARK_FIRST_PERSON_ID
    if (c.bidderIdQuirk) bidder += NEXMARK_FIRST_PERSON_ID
    const price = this.nextPrice()
    let channel: string
    let url: string
    if (rng.nextInt(2) > 0) {
      const i = rng.nextInt(HOT_CHANNELS.length)
      channel = HOT_CHANNELS[i] as string
      url = this.hotUrls[i] as string
    } else {
      const n = rng.nextInt(CHANNELS_NUMBER)
      channel = `channel-${n}`
      url = this.channelUrl(n)
    }
    const extra = this.nextExtra(32, c.avgBidByteSize)
    return { type: 'bid', auction, bidder, price, channel, url, dateTime, extra }
  }

  /** Event number n, independent of what was generated before. */
  eventAt(n: number): NexmarkEvent {
    const eventId = this.adjustedEventNumber(n)
    const dateTime = this.timestampForEvent(eventId)
    this.rng.reseed(this.config.seed, eventId)
    const rem = eventId % this.totalProportion
    const c = this.config
    if (rem < c.personProportion) return this.person(eventId, dateTime)
    if (rem < c.personProportion + c.auctionProportion) return this.auction(n, eventId, dateTime)
    return this.bid(eventId, dateTime)
  }

  /** Events emitted so far by this generator. */
  get eventsGenerated(): number {
    return this.emitted
  }

  get hasNext(): boolean {
    return this.emitted < this.config.maxEvents
  }

  /** The event number the next call emits. */
  get nextEventNumber(): number {
    return this.config.firstEvent + this.emitted * this.config.eventStride
  }

  /**
   * A lower bound on the event time of everything this generator emits from now on: the
   * reference's watermark (the start of the current out-of-order group).
   */
  watermark(): number {
    const g = this.config.outOfOrderGroupSize
    return this.timestampForEvent(Math.floor(this.nextEventNumber / g) * g)
  }

  next(): NexmarkEvent | undefined {
    if (!this.hasNext) return undefined
    const e = this.eventAt(this.nextEventNumber)
    this.emitted++
    return e
  }

  /** Writes up to `n` events into out[0..]; returns how many (fewer only at maxEvents). */
  nextBatch(n: number, out: NexmarkEvent[]): number {
    let k = 0
    while (k < n && this.emitted < this.config.maxEvents) {
      out[k++] = this.eventAt(this.nextEventNumber)
      this.emitted++
    }
    return k
  }
}
