import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  JFK_ZONE,
  MANHATTAN_ZONES,
  TAXI_DEFAULT_START_TIME,
  type TaxiRide,
  type TaxiRideConfig,
  TaxiRideGenerator,
} from './taxi-rides.ts'
import { isTributaryError } from '../../util/errors.ts'

function generate(count: number, config: TaxiRideConfig = {}): TaxiRide[] {
  const g = new TaxiRideGenerator(config)
  const out: TaxiRide[] = []
  const batch: TaxiRide[] = []
  while (out.length < count) {
    const n = g.nextBatch(Math.min(1000, count - out.length), batch)
    if (n === 0) break
    for (let i = 0; i < n; i++) out.push(batch[i] as TaxiRide)
  }
  return out
}

const RIDES = generate(100_000, { seed: 11 })
const cents = (x: number): number => Math.round(x * 100)
const MONEY = ['fare_amount', 'extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'improvement_surcharge', 'congestion_surcharge'] as const

describe('taxi ride generator', () => {
  it('keeps every field in its TLC range', () => {
    for (const r of RIDES) {
      assert.ok(r.VendorID === 1 || r.VendorID === 2)
      assert.ok(Number.isInteger(r.PULocationID) && r.PULocationID >= 1 && r.PULocationID <= 265)
      assert.ok(Number.isInteger(r.DOLocationID) && r.DOLocationID >= 1 && r.DOLocationID <= 265)
      assert.ok(Number.isInteger(r.passenger_count) && r.passenger_count >= 0 && r.passenger_count <= 6)
      assert.ok(r.trip_distance > 0 && r.trip_distance < 80, `distance ${r.trip_distance}`)
      assert.equal(cents(r.trip_distance) / 100, r.trip_distance)
      assert.ok([1, 2, 3, 4].includes(r.payment_type))
      assert.ok(r.RatecodeID === 1 || r.RatecodeID === 2)
      for (const k of [...MONEY, 'total_amount'] as const) {
        assert.ok(r[k] >= 0, `${k} ${r[k]}`)
        assert.equal(cents(r[k]) / 100, r[k], `${k} has at most two decimals`)
      }
      assert.ok(Number.isInteger(r.tpep_pickup_datetime) && Number.isInteger(r.tpep_dropoff_datetime))
    }
  })

  it('is internally consistent: dropoff after pickup, total = sum of parts, tips only by card', () => {
    for (const r of RIDES) {
      const minutes = (r.tpep_dropoff_datetime - r.tpep_pickup_datetime) / 60_000
      assert.ok(minutes >= 1 && minutes < 24 * 60, `duration ${minutes} min`)
      assert.equal(
        MONEY.reduce((s, k) => s + cents(r[k]), 0),
        cents(r.total_amount),
      )
      if (r.payment_type !== 1) assert.equal(r.tip_amount, 0)
      if (r.RatecodeID === 1) {
        // At least the flag drop plus the distance rate.
        assert.ok(cents(r.fare_amount) >= 300 + Math.round(350 * r.trip_distance))
      } else {
        assert.equal(r.fare_amount, 70)
        assert.ok(r.PULocationID === JFK_ZONE || r.DOLocationID === JFK_ZONE)
      }
      const touchesManhattan = MANHATTAN_ZONES.has(r.PULocationID) || MANHATTAN_ZONES.has(r.DOLocationID)
      assert.equal(r.congestion_surcharge, touchesManhattan ? 2.5 : 0)
    }
    const tipped = RIDES.filter((r) => r.payment_type === 1 && r.tip_amount > 0)
    const rate = tipped.reduce((s, r) => s + r.tip_amount / (r.total_amount - r.tip_amount), 0) / tipped.length
    assert.ok(rate > 0.18 && rate < 0.24, `mean tip rate ${rate}`)
  })

  it('skews zone popularity (Zipf): a few zones dominate, yet every zone occurs', () => {
    const counts = new Map<number, number>()
    for (const r of RIDES) counts.set(r.PULocationID, (counts.get(r.PULocationID) ?? 0) + 1)
    const sorted = [...counts.values()].sort((a, b) => b - a)
    const top10 = sorted.slice(0, 10).reduce((s, c) => s + c, 0) / RIDES.length
    assert.ok(top10 > 0.4 && top10 < 0.6, `top-10 share ${top10}`)
    assert.equal(counts.size, 265)
    assert.ok((sorted[0] as number) > 20 * (sorted[132] as number))
    // Busiest zone is the Upper East Side South (237), as in the real data.
    assert.equal([...counts].sort((a, b) => b[1] - a[1])[0]?.[0], 237)
    // Longer trips cost more: the distance-fare relation holds across zones.
    const short = RIDES.filter((r) => r.RatecodeID === 1 && r.trip_distance < 2)
    const long = RIDES.filter((r) => r.RatecodeID === 1 && r.trip_distance > 10)
    const meanFare = (rs: TaxiRide[]): number => rs.reduce((s, r) => s + r.fare_amount, 0) / rs.length
    assert.ok(long.length > 100 && meanFare(long) > 3 * meanFare(short))
  })

  it('displaces the configured share of rides within the bound, and the late share far behind it', () => {
    const undisplaced = generate(100_000, { seed: 5, outOfOrderFraction: 0, lateFraction: 0 })
    for (const [outOfOrderFraction, lateFraction] of [
      [0.1, 0.001],
      [0.3, 0.01],
    ] as const) {
      const bound = 5000
      const rides = generate(100_000, { seed: 5, outOfOrderFraction, lateFraction, maxOutOfOrderMs: bound })
      let displaced = 0
      let late = 0
      let behindWatermark = 0
      let maxSoFar = -Infinity
      rides.forEach((r, i) => {
        const base = undisplaced[i] as TaxiRide
        // Same ride, only moved in time.
        assert.deepEqual({ ...r, tpep_pickup_datetime: 0, tpep_dropoff_datetime: 0 }, { ...base, tpep_pickup_datetime: 0, tpep_dropoff_datetime: 0 })
        const shift = base.tpep_pickup_datetime - r.tpep_pickup_datetime
        assert.equal(base.tpep_dropoff_datetime - r.tpep_dropoff_datetime, shift)
        if (shift > bound) {
          late++
          assert.ok(shift > bound + 60_000 && shift <= bound + 3_600_001, `late shift ${shift}`)
        } else if (shift > 0) displaced++
        // A bounded-out-of-orderness watermark (max seen - bound) passes exactly the late rides.
        if (r.tpep_pickup_datetime < maxSoFar - bound) {
          behindWatermark++
          assert.ok(shift > bound)
        }
        maxSoFar = Math.max(maxSoFar, r.tpep_pickup_datetime)
      })
      assert.equal(behindWatermark, late)
      // Binomial tolerance of 5 sd.
      const n = rides.length
      const near = (x: number, p: number): boolean => Math.abs(x - n * p) < 5 * Math.sqrt(n * p * (1 - p))
      assert.ok(near(late, lateFraction), `late ${late}`)
      assert.ok(near(displaced, outOfOrderFraction), `displaced ${displaced}`)
    }
  })

  it('emits pickups in order when disorder is off, at the configured average rate', () => {
    const rides = generate(50_000, { seed: 2, outOfOrderFraction: 0, lateFraction: 0, diurnal: false, ridesPerSecond: 20 })
    for (let i = 1; i < rides.length; i++) {
      assert.ok((rides[i] as TaxiRide).tpep_pickup_datetime >= (rides[i - 1] as TaxiRide).tpep_pickup_datetime)
    }
    const spanSeconds = ((rides.at(-1) as TaxiRide).tpep_pickup_datetime - TAXI_DEFAULT_START_TIME) / 1000
    // Sum of 50k exponential gaps: relative sd 1/sqrt(50k) = 0.45 %.
    assert.ok(Math.abs(spanSeconds / (50_000 / 20) - 1) < 0.025, `span ${spanSeconds}s`)
  })

  it('follows the daily profile: evenings busier than early mornings', () => {
    const rides = generate(100_000, { seed: 4, ridesPerSecond: 0.5 }) // ~2.3 days
    const byHour = new Array<number>(24).fill(0)
    for (const r of rides) byHour[new Date(r.tpep_pickup_datetime).getUTCHours()]!++
    assert.ok((byHour[18] as number) > 4 * (byHour[4] as number), `18h ${byHour[18]} vs 4h ${byHour[4]}`)
  })

  it('is deterministic by seed', () => {
    assert.deepEqual(generate(2000, { seed: 11 }), RIDES.slice(0, 2000))
    assert.notDeepEqual(
      generate(200, { seed: 12 }).map((r) => r.PULocationID),
      RIDES.slice(0, 200).map((r) => r.PULocationID),
    )
  })

  it('stops at maxRides and rejects invalid configuration', () => {
    const g = new TaxiRideGenerator({ maxRides: 3 })
    const out: TaxiRide[] = []
    assert.equal(g.nextBatch(10, out), 3)
    assert.equal(g.next(), undefined)
    assert.deepEqual(
      out.map((r) => r.rideId),
      [0, 1, 2],
    )
    for (const bad of [
      { outOfOrderFraction: 1.5 },
      { outOfOrderFraction: 0.8, lateFraction: 0.3 },
      { ridesPerSecond: 0 },
      { maxOutOfOrderMs: -1 },
      { minLatenessMs: 10, maxLatenessMs: 5 },
    ]) {
      assert.throws(() => new TaxiRideGenerator(bad), (e) => isTributaryError(e, 'INVALID_CONFIG'))
    }
  })
})
