/**
 * @module Synthetic NYC yellow-taxi rides with the TLC trip-record fields, for examples and
 * benchmarks that need realistic keyed, skewed, slightly disordered event-time data.
 *
 * - Pickups follow a Poisson process (optionally shaped by a daily profile: quiet at 4-5 am, busy
 *   in the evening). Timestamps are epoch ms read as NYC wall-clock time; no time zones.
 * - 265 taxi zones, with pickup / dropoff popularity following Zipf(1) over a fixed ranking whose
 *   head is the real busiest zones (Upper East Side, Midtown, JFK...). Each zone has a fixed
 *   synthetic position (Manhattan a narrow strip, airports far out), so trip distance follows from
 *   the two zones, duration from distance and a traffic speed, and money from TLC-like rates.
 * - Money is computed in cents, so total_amount is exactly the sum of its parts.
 * - Disorder: a fraction of rides is displaced back in event time by up to `maxOutOfOrderMs`
 *   (bounded disorder a bounded-out-of-orderness watermark covers), and a smaller fraction is
 *   displaced by `maxOutOfOrderMs + minLatenessMs` or more, behind such a watermark ("late").
 *   Arrival order is otherwise pickup order.
 */

import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { SeededRandom } from './random.ts'

export interface TaxiRide {
  /** Position in generation order; not a TLC field, handy for joins and tests. */
  rideId: number
  VendorID: number
  tpep_pickup_datetime: number
  tpep_dropoff_datetime: number
  passenger_count: number
  trip_distance: number
  /** 1 standard rate, 2 JFK flat fare. */
  RatecodeID: number
  PULocationID: number
  DOLocationID: number
  /** 1 credit card, 2 cash, 3 no charge, 4 dispute. */
  payment_type: number
  fare_amount: number
  extra: number
  mta_tax: number
  tip_amount: number
  tolls_amount: number
  improvement_surcharge: number
  congestion_surcharge: number
  total_amount: number
}

export interface TaxiRideConfig {
  seed?: number
  /** Event time of the first pickup, epoch ms (default 2024-01-01T00:00:00). */
  startTime?: number
  /** Average pickups per second of event time (default 10). */
  ridesPerSecond?: number
  /** Shape the rate by hour of day (default true). */
  diurnal?: boolean
  /** Share of rides displaced back by 1..maxOutOfOrderMs (default 0.1). */
  outOfOrderFraction?: number
  /** Bound of the ordinary disorder, ms (default 5000). */
  maxOutOfOrderMs?: number
  /** Share of rides displaced far behind the bound (default 0.001). */
  lateFraction?: number
  /** Late rides lie this much (at least) behind the bound, ms (default 60,000). */
  minLatenessMs?: number
  /** ... and at most this much (default 3,600,000). */
  maxLatenessMs?: number
  /** Stop after this many rides (default: unbounded). */
  maxRides?: number
}

export const TAXI_ZONE_COUNT = 265
export const TAXI_DEFAULT_START_TIME = Date.UTC(2024, 0, 1)
export const JFK_ZONE = 132
export const LAGUARDIA_ZONE = 138
export const NEWARK_ZONE = 1

/** The 69 Manhattan zones: trips touching them pay the congestion surcharge. */
export const MANHATTAN_ZONES: ReadonlySet<number> = new Set([
  4, 12, 13, 24, 41, 42, 43, 45, 48, 50, 68, 74, 75, 79, 87, 88, 90, 100, 103, 104, 105, 107, 113, 114, 116, 120, 125,
  127, 128, 137, 140, 141, 142, 143, 144, 148, 151, 152, 153, 158, 161, 162, 163, 164, 166, 170, 186, 194, 202, 209,
  211, 224, 229, 230, 231, 232, 233, 234, 236, 237, 238, 239, 243, 244, 246, 249, 261, 262, 263,
])

// The busiest pickup zones, most popular first; the rest follow in a fixed shuffled order.
const HEAD_ZONES = [237, 161, 236, 162, 132, 230, 186, 142, 170, 163, 239, 234, 48, 68, 141, 138, 79, 107, 164, 238]

// Relative pickup rate per hour of day (mean 1).
const HOURLY_PROFILE = [
  0.72, 0.52, 0.38, 0.27, 0.2, 0.22, 0.42, 0.74, 0.98, 1.05, 1.06, 1.1, 1.16, 1.18, 1.24, 1.28, 1.3, 1.42, 1.56, 1.5,
  1.38, 1.34, 1.26, 0.98,
]
const PROFILE_MEAN = HOURLY_PROFILE.reduce((s, x) => s + x, 0) / HOURLY_PROFILE.length

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
const ZONE_LAYOUT_SEED = 0x7a0e5

interface ZoneLayout {
  /** Cumulative popularity over zone ranks, for inverse-CDF sampling. */
  cdf: Float64Array
  /** Zone id by popularity rank. */
  byRank: Int32Array
  x: Float64Array
  y: Float64Array
}

/** Fixed, seed-independent geography and popularity: the city does not change with the seed. */
function layoutZones(): ZoneLayout {
  const rng = new SeededRandom(ZONE_LAYOUT_SEED)
  const rest: number[] = []
  for (let z = 1; z <= TAXI_ZONE_COUNT; z++) if (!HEAD_ZONES.includes(z) && z < 264) rest.push(z)
  for (let i = rest.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1)
    const t = rest[i] as number
    rest[i] = rest[j] as number
    rest[j] = t
  }
  // 264 / 265 are "Unknown" / "Outside of NYC": rare, last.
  const byRank = Int32Array.from([...HEAD_ZONES, ...rest, 264, 265])
  const cdf = new Float64Array(TAXI_ZONE_COUNT)
  let total = 0
  for (let r = 0; r < TAXI_ZONE_COUNT; r++) {
    total += 1 / (r + 1)
    cdf[r] = total
  }
  for (let r = 0; r < TAXI_ZONE_COUNT; r++) cdf[r] = (cdf[r] as number) / total
  const x = new Float64Array(TAXI_ZONE_COUNT + 1)
  const y = new Float64Array(TAXI_ZONE_COUNT + 1)
  for (let z = 1; z <= TAXI_ZONE_COUNT; z++) {
    if (MANHATTAN_ZONES.has(z)) {
      // A 2 x 13 mile strip.
      x[z] = rng.nextDouble() * 2
      y[z] = rng.nextDouble() * 13
    } else {
      // The outer boroughs: a ring 3 to 14 miles around Midtown.
      const angle = rng.nextDouble() * 2 * Math.PI
      const radius = 3 + rng.nextDouble() * 11
      x[z] = 1 + radius * Math.cos(angle)
      y[z] = 5 + radius * Math.sin(angle)
    }
  }
  x[JFK_ZONE] = 12
  y[JFK_ZONE] = -6
  x[LAGUARDIA_ZONE] = 7
  y[LAGUARDIA_ZONE] = 8
  x[NEWARK_ZONE] = -10
  y[NEWARK_ZONE] = -2
  return { cdf, byRank, x, y }
}

const ZONES = layoutZones()

type Resolved = Required<TaxiRideConfig>

function resolve(config: TaxiRideConfig): Resolved {
  const c: Resolved = {
    seed: config.seed ?? 0,
    startTime: config.startTime ?? TAXI_DEFAULT_START_TIME,
    ridesPerSecond: config.ridesPerSecond ?? 10,
    diurnal: config.diurnal ?? true,
    outOfOrderFraction: config.outOfOrderFraction ?? 0.1,
    maxOutOfOrderMs: config.maxOutOfOrderMs ?? 5000,
    lateFraction: config.lateFraction ?? 0.001,
    minLatenessMs: config.minLatenessMs ?? 60_000,
    maxLatenessMs: config.maxLatenessMs ?? 3_600_000,
    maxRides: config.maxRides ?? Infinity,
  }
  const fail = (msg: string): never => {
    throw new TributaryError(ErrorCode.INVALID_CONFIG, `taxi rides: ${msg}`)
  }
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) fail(`seed must be a non-negative integer, got ${c.seed}`)
  if (!Number.isSafeInteger(c.startTime)) fail(`startTime must be an integer, got ${c.startTime}`)
  if (!(c.ridesPerSecond > 0) || !Number.isFinite(c.ridesPerSecond)) fail(`ridesPerSecond must be positive, got ${c.ridesPerSecond}`)
  for (const k of ['outOfOrderFraction', 'lateFraction'] as const) {
    if (!(c[k] >= 0 && c[k] <= 1)) fail(`${k} must be in [0, 1], got ${c[k]}`)
  }
  if (c.outOfOrderFraction + c.lateFraction > 1) fail('outOfOrderFraction + lateFraction must not exceed 1')
  for (const k of ['maxOutOfOrderMs', 'minLatenessMs', 'maxLatenessMs'] as const) {
    if (!Number.isSafeInteger(c[k]) || c[k] < 0) fail(`${k} must be a non-negative integer, got ${c[k]}`)
  }
  if (c.maxLatenessMs < c.minLatenessMs) fail('maxLatenessMs must be at least minLatenessMs')
  if (!(c.maxRides >= 0)) fail(`maxRides must be >= 0, got ${c.maxRides}`)
  return c
}

export class TaxiRideGenerator {
  readonly config: Readonly<Resolved>
  private readonly rng: SeededRandom
  /** Undisplaced pickup time of the last ride, fractional ms. */
  private clock: number
  private emitted = 0

  constructor(config: TaxiRideConfig = {}) {
    this.config = resolve(config)
    this.rng = new SeededRandom(this.config.seed, 0x7a71)
    this.clock = this.config.startTime
  }

  get ridesGenerated(): number {
    return this.emitted
  }

  get hasNext(): boolean {
    return this.emitted < this.config.maxRides
  }

  private zone(): number {
    const u = this.rng.nextDouble()
    const cdf = ZONES.cdf
    let lo = 0
    let hi = cdf.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cdf[mid] as number) <= u) lo = mid + 1
      else hi = mid
    }
    return ZONES.byRank[lo] as number
  }

  private nextPickup(): number {
    const hour = Math.floor((this.clock % DAY_MS) / HOUR_MS)
    const shape = this.config.diurnal ? (HOURLY_PROFILE[hour] as number) / PROFILE_MEAN : 1
    this.clock += this.rng.nextExponential(1000 / (this.config.ridesPerSecond * shape))
    return Math.floor(this.clock)
  }

  private passengers(): number {
    const u = this.rng.nextDouble()
    if (u < 0.015) return 0
    if (u < 0.735) return 1
    if (u < 0.875) return 2
    if (u < 0.915) return 3
    if (u < 0.935) return 4
    if (u < 0.975) return 5
    return 6
  }

  private paymentType(): number {
    const u = this.rng.nextDouble()
    if (u < 0.72) return 1
    if (u < 0.97) return 2
    if (u < 0.985) return 3
    return 4
  }

  next(): TaxiRide | undefined {
    if (!this.hasNext) return undefined
    return this.ride()
  }

  /** Writes up to `n` rides into out[0..]; returns how many (fewer only at maxRides). */
  nextBatch(n: number, out: TaxiRide[]): number {
    let k = 0
    while (k < n && this.emitted < this.config.maxRides) out[k++] = this.ride()
    return k
  }

  private ride(): TaxiRide {
    const rng = this.rng
    const c = this.config
    const rideId = this.emitted++
    let pickup = this.nextPickup()
    const pu = this.zone()
    const du = rng.chance(0.05) ? pu : this.zone()
    const puManhattan = MANHATTAN_ZONES.has(pu)
    const doManhattan = MANHATTAN_ZONES.has(du)

    // Distance: straight line times a road factor, with noise; short hops within a zone.
    let miles: number
    if (pu === du) miles = 0.3 + rng.nextDouble() * 1.5
    else {
      const dx = (ZONES.x[pu] as number) - (ZONES.x[du] as number)
      const dy = (ZONES.y[pu] as number) - (ZONES.y[du] as number)
      miles = Math.max(0.2, Math.hypot(dx, dy) * 1.3 * Math.exp(0.15 * rng.nextGaussian()))
    }
    const distanceHundredths = Math.max(1, Math.round(miles * 100))
    miles = distanceHundredths / 100

    // Duration: slower in Manhattan and at rush hour.
    const hour = Math.floor((pickup % DAY_MS) / HOUR_MS)
    const rush = (hour >= 8 && hour < 10) || (hour >= 16 && hour < 19)
    let mph = (puManhattan && doManhattan ? 9 : 18) * Math.exp(0.25 * rng.nextGaussian())
    if (rush) mph *= 0.8
    const minutes = 1 + (miles / mph) * 60
    const durationMs = Math.max(60_000, Math.round(minutes * 60_000))

    // Money, in cents.
    const airportFlat = (pu === JFK_ZONE && doManhattan) || (du === JFK_ZONE && puManhattan)
    const ratecode = airportFlat ? 2 : 1
    // $3 flag drop, $0.70 per 1/5 mile, $0.70 per minute of slow traffic (~30 % of the ride).
    const fare = airportFlat ? 7000 : 300 + Math.round(350 * miles) + Math.round(70 * minutes * 0.3)
    const dayOfWeek = (Math.floor(pickup / DAY_MS) + 4) % 7 // 1970-01-01 was a Thursday
    const weekday = dayOfWeek >= 1 && dayOfWeek <= 5
    const extra = hour >= 20 || hour < 6 ? 100 : weekday && hour >= 16 ? 250 : 0
    const mtaTax = 50
    const improvement = 100
    const congestion = puManhattan || doManhattan ? 250 : 0
    const tolls = !(puManhattan && doManhattan) && miles > 8 && rng.chance(0.5) ? 694 : 0
    const payment = this.paymentType()
    let tip = 0
    if (payment === 1 && rng.chance(0.85)) {
      const u = rng.nextDouble()
      const pct = u < 0.2 ? 0.15 : u < 0.65 ? 0.2 : u < 0.85 ? 0.25 : 0.3
      tip = Math.round((fare + extra + mtaTax + improvement + congestion + tolls) * pct)
    }
    const total = fare + extra + mtaTax + tip + tolls + improvement + congestion

    // Disorder: displace the whole ride back in event time. The same draws happen whatever the
    // fractions, so one seed gives the same rides with and without disorder, only shifted.
    const u = rng.nextDouble()
    const ordinaryShift = 1 + rng.nextInt(Math.max(1, c.maxOutOfOrderMs))
    const lateShift = c.maxOutOfOrderMs + c.minLatenessMs + 1 + rng.nextInt(c.maxLatenessMs - c.minLatenessMs + 1)
    let shift = 0
    if (rideId > 0 && u < c.lateFraction) shift = lateShift
    else if (rideId > 0 && u < c.lateFraction + c.outOfOrderFraction && c.maxOutOfOrderMs > 0) shift = ordinaryShift
    pickup -= shift

    return {
      rideId,
      VendorID: rng.chance(0.3) ? 1 : 2,
      tpep_pickup_datetime: pickup,
      tpep_dropoff_datetime: pickup + durationMs,
      passenger_count: this.passengers(),
      trip_distance: miles,
      RatecodeID: ratecode,
      PULocationID: pu,
      DOLocationID: du,
      payment_type: payment,
      fare_amount: fare / 100,
      extra: extra / 100,
      mta_tax: mtaTax / 100,
      tip_amount: tip / 100,
      tolls_amount: tolls / 100,
      improvement_surcharge: improvement / 100,
      congestion_surcharge: congestion / 100,
      total_amount: total / 100,
    }
  }
}
