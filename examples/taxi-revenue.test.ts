/**
 * The taxi example on the embedded broker, checked against counts recomputed from the generated
 * rides. With per-event watermarks, which rides are late is a function of each partition's order,
 * so the test recomputes it exactly; with periodic ones it checks what holds at any read speed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type TaxiRide } from '../src/stream/generators/taxi-rides.ts'
import { readTopic, withTempBroker } from './support/embedded.ts'
import { HOUR_MS, RIDES_TOPIC, type TaxiRevenueRun, type ZoneRevenue, generateRides, runTaxiRevenue } from './taxi-revenue.ts'

const BOUND_MS = 60_000
const rides = generateRides({
  seed: 11,
  startTime: Date.UTC(2024, 0, 1, 6),
  ridesPerSecond: 0.5,
  maxRides: 4000,
  maxOutOfOrderMs: BOUND_MS,
  lateFraction: 0.02,
  minLatenessMs: 600_000,
  maxLatenessMs: 2 * HOUR_MS,
})
const byId = new Map(rides.map((r) => [r.rideId, r]))

function cents(r: TaxiRide): number {
  // Half up, in integers: an independent spelling of total_amount * 1.15.
  return Math.floor((Math.round(r.total_amount * 100) * 115 + 50) / 100)
}

function hourOf(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS
}

/** Rides and revenue (cents) per zone and hour over the given rides. */
function expectedWindows(counted: Iterable<TaxiRide>): Map<string, { rides: number; cents: number }> {
  const out = new Map<string, { rides: number; cents: number }>()
  for (const r of counted) {
    const k = `${r.PULocationID}@${new Date(hourOf(r.tpep_pickup_datetime)).toISOString()}`
    const e = out.get(k) ?? { rides: 0, cents: 0 }
    e.rides++
    e.cents += cents(r)
    out.set(k, e)
  }
  return out
}

function actualWindows(rows: readonly ZoneRevenue[]): Map<string, { rides: number; cents: number }> {
  const out = new Map<string, { rides: number; cents: number }>()
  for (const r of rows) {
    const k = `${r.zone}@${r.windowStart}`
    assert.ok(!out.has(k), `one result per zone and hour (${k})`)
    assert.equal(Date.parse(r.windowEnd) - Date.parse(r.windowStart), HOUR_MS)
    out.set(k, { rides: r.rides, cents: Math.round(r.revenue * 100) })
  }
  return out
}

/** Runs the example; `idealLate`: rides whose hour had closed under max(earlier pickups in the partition) - bound - 1. */
async function runOn(mode: 'per-event' | 'periodic'): Promise<{ run: TaxiRevenueRun; idealLate: Set<number>; partitions: Set<number> }> {
  return withTempBroker(async (client) => {
    const run = await runTaxiRevenue(client, rides, { watermarks: mode, outOfOrdernessMs: BOUND_MS })
    const idealLate = new Set<number>()
    const maxTs = new Map<number, number>()
    for (const rec of await readTopic(client, RIDES_TOPIC)) {
      const ride = JSON.parse(rec.value?.toString() ?? 'null') as TaxiRide
      const wm = (maxTs.get(rec.partition) ?? -Infinity) - BOUND_MS - 1
      if (hourOf(ride.tpep_pickup_datetime) + HOUR_MS - 1 <= wm) idealLate.add(ride.rideId)
      maxTs.set(rec.partition, Math.max(maxTs.get(rec.partition) ?? -Infinity, ride.tpep_pickup_datetime))
    }
    return { run, idealLate, partitions: new Set(maxTs.keys()) }
  })
}

test('taxi revenue with per-event watermarks: exact counts, revenue and late rides', async () => {
  const { run, idealLate, partitions } = await runOn('per-event')
  assert.equal(partitions.size, 4, 'rides spread over the 4 partitions')
  assert.ok(idealLate.size > 0, 'the input has rides behind closed windows')
  const disordered = rides.filter((r, i) => i > 0 && r.tpep_pickup_datetime < (rides[i - 1] as TaxiRide).tpep_pickup_datetime)
  assert.ok(disordered.some((r) => !idealLate.has(r.rideId)), 'and out-of-order rides that still count')

  assert.deepEqual(actualWindows(run.revenue), expectedWindows(rides.filter((r) => !idealLate.has(r.rideId))))
  assert.ok(run.revenue.every((r) => r.kind === 'insert'), 'no allowed lateness: one insert per window')
  assert.deepEqual(run.late.map((r) => r.rideId).sort((a, b) => a - b), [...idealLate].sort((a, b) => a - b))
  assert.equal(run.metrics['zone-hour']?.['lateRecordsSideOutput'], idealLate.size)

  // Late rides carry the enrichment.
  for (const l of run.late) {
    const ride = byId.get(l.rideId) as TaxiRide
    assert.equal(l.zone, ride.PULocationID)
    assert.equal(Date.parse(l.pickupTime), ride.tpep_pickup_datetime)
    assert.equal(l.pickupHour, new Date(ride.tpep_pickup_datetime).getUTCHours())
    assert.equal(l.revenueCents, cents(ride))
  }
})

test('taxi revenue with periodic watermarks: every ride counted once or routed late, never an on-time one', async () => {
  const { run, idealLate } = await runOn('periodic')
  const late = new Set(run.late.map((r) => r.rideId))
  assert.equal(late.size, run.late.length, 'no ride routed twice')
  // A periodic watermark lags the per-event one, so only rides late under that can be late here.
  for (const id of late) assert.ok(idealLate.has(id), `ride ${id} was routed late but was on time`)
  assert.deepEqual(actualWindows(run.revenue), expectedWindows(rides.filter((r) => !late.has(r.rideId))))
})
