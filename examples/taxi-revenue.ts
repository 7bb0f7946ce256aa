/**
 * @module Example: rides and revenue per taxi zone per hour.
 *
 * taxi-rides (keyed by pickup zone) → enrich (revenue = total_amount * 1.15, pickup time as ISO
 * string and hour of day) → keyBy zone → tumbling 1-hour event-time windows (bounded
 * out-of-orderness watermarks on the pickup time) → count and revenue → zone-revenue.
 * Rides behind a closed window go to the side topic late-rides.
 *
 * The input topic is keyed by zone, so the keyBy is `prePartitioned`: every zone's rides are
 * already in one partition and the windows run in the task that reads it, with no repartition
 * topic (Flink's reinterpretAsKeyedStream). `tributary demo` runs this pipeline live.
 *
 * Run: node examples/taxi-revenue.ts
 */
import { type Client } from '../src/client/types.ts'
import { table } from '../src/cli/output.ts'
import { count, multi, sum } from '../src/stream/api/aggregates/index.ts'
import { type TaxiRide, type TaxiRideConfig, TaxiRideGenerator } from '../src/stream/generators/taxi-rides.ts'
import {
  type ChangeKind,
  type DataStream,
  type JobMetrics,
  OutputTag,
  StreamEnvironment,
  TumblingEventTimeWindows,
  jsonFormat,
} from '../src/stream/index.ts'
import { createTopics, produceJson, readJson, withTempBroker } from './support/embedded.ts'
import { type WatermarkMode, boundedOutOfOrderness } from './support/watermarks.ts'

export const RIDES_TOPIC = 'taxi-rides'
export const REVENUE_TOPIC = 'zone-revenue'
export const LATE_RIDES_TOPIC = 'late-rides'
export const HOUR_MS = 3_600_000

export interface EnrichedRide {
  rideId: number
  /** Pickup zone (PULocationID). */
  zone: number
  pickupMs: number
  /** Pickup time as an ISO string. */
  pickupTime: string
  /** Hour of day of the pickup, 0-23. */
  pickupHour: number
  /** total_amount * 1.15 in cents, rounded half up: integer cents sum exactly. */
  revenueCents: number
}

/** One zone's result for one window: an upsert by (zone, windowStart). */
export interface ZoneRevenue {
  kind: ChangeKind
  zone: number
  windowStart: string
  windowEnd: string
  rides: number
  /** Dollars. */
  revenue: number
}

export interface TaxiRevenueOptions {
  input?: string
  output?: string
  lateOutput?: string
  /** Default one hour. */
  windowMs?: number
  /** Watermark bound (default 60 s). */
  outOfOrdernessMs?: number
  watermarks?: WatermarkMode
  /** Read the input up to its current end, then finish (default false: run until cancelled). */
  bounded?: boolean
}

export interface TaxiRevenuePipeline {
  rides: DataStream<EnrichedRide>
  revenue: DataStream<ZoneRevenue>
  late: DataStream<EnrichedRide>
}

/** The stateless enrichment step. */
export function enrichRide(r: TaxiRide): EnrichedRide {
  const pickup = new Date(r.tpep_pickup_datetime)
  return {
    rideId: r.rideId,
    zone: r.PULocationID,
    pickupMs: r.tpep_pickup_datetime,
    pickupTime: pickup.toISOString(),
    pickupHour: pickup.getUTCHours(),
    revenueCents: Math.round((Math.round(r.total_amount * 100) * 115) / 100),
  }
}

export function buildTaxiRevenue(env: StreamEnvironment, options: TaxiRevenueOptions = {}): TaxiRevenuePipeline {
  const windowMs = options.windowMs ?? HOUR_MS
  const lateTag = new OutputTag<EnrichedRide>('late-rides')
  const rides = env
    .fromTopic(options.input ?? RIDES_TOPIC, {
      format: jsonFormat<TaxiRide>(),
      bounded: options.bounded ?? false,
      watermarks: boundedOutOfOrderness<TaxiRide>(options.outOfOrdernessMs ?? 60_000, (r) => r.tpep_pickup_datetime, options.watermarks),
    })
    .map(enrichRide)
    .name('enrich')
  const windows = rides
    .keyBy((r) => r.zone, { prePartitioned: true, name: 'by-zone' })
    .window(TumblingEventTimeWindows.of<EnrichedRide>(windowMs))
    .sideOutputLateData(lateTag)
    .aggregate(multi({ rides: count<EnrichedRide>(), revenueCents: sum<EnrichedRide>((r) => r.revenueCents) }))
    .name('zone-hour')
  const revenue = windows
    .map(
      (w): ZoneRevenue => ({
        kind: w.kind,
        zone: w.key,
        windowStart: new Date(w.window.start).toISOString(),
        windowEnd: new Date(w.window.end).toISOString(),
        rides: w.value.rides,
        revenue: w.value.revenueCents / 100,
      }),
    )
    .name('to-row')
  revenue.toTopic(options.output ?? REVENUE_TOPIC, { format: jsonFormat<ZoneRevenue>(), keyFn: (r) => `${r.zone}@${r.windowStart}` })
  const late = windows.getSideOutput(lateTag)
  late.toTopic(options.lateOutput ?? LATE_RIDES_TOPIC, { format: jsonFormat<EnrichedRide>(), keyFn: (r) => String(r.zone) })
  return { rides, revenue, late }
}

/** Writes rides to the input topic keyed by pickup zone, as the pipeline expects. */
export function produceRides(client: Client, rides: readonly TaxiRide[], topic = RIDES_TOPIC): Promise<void> {
  return produceJson(client, topic, rides, (r) => String(r.PULocationID))
}

export function generateRides(config: TaxiRideConfig): TaxiRide[] {
  const gen = new TaxiRideGenerator(config)
  const out: TaxiRide[] = []
  for (let r = gen.next(); r !== undefined; r = gen.next()) out.push(r)
  return out
}

export interface TaxiRevenueRun {
  revenue: ZoneRevenue[]
  late: EnrichedRide[]
  metrics: JobMetrics
}

/** Creates the topics, writes `rides`, runs the pipeline as a bounded job and reads the results back. */
export async function runTaxiRevenue(client: Client, rides: readonly TaxiRide[], options: TaxiRevenueOptions = {}, partitions = 4): Promise<TaxiRevenueRun> {
  await createTopics(client, [
    { name: options.input ?? RIDES_TOPIC, partitions },
    { name: options.output ?? REVENUE_TOPIC, partitions: 1 },
    { name: options.lateOutput ?? LATE_RIDES_TOPIC, partitions: 1 },
  ])
  await produceRides(client, rides, options.input)
  const env = StreamEnvironment.create({ client })
  buildTaxiRevenue(env, { ...options, bounded: true })
  const { metrics } = await env.execute('taxi-revenue').done
  return {
    revenue: await readJson<ZoneRevenue>(client, options.output ?? REVENUE_TOPIC),
    late: await readJson<EnrichedRide>(client, options.lateOutput ?? LATE_RIDES_TOPIC),
    metrics,
  }
}

async function main(): Promise<void> {
  const rides = generateRides({
    seed: 7,
    startTime: Date.UTC(2024, 0, 1, 6),
    ridesPerSecond: 1,
    maxRides: 20_000,
    maxOutOfOrderMs: 60_000,
    lateFraction: 0.005,
    minLatenessMs: 600_000,
    maxLatenessMs: 2 * HOUR_MS,
  })
  const run = await withTempBroker((client) => runTaxiRevenue(client, rides, { watermarks: 'per-event' }))
  const byWindow = Map.groupBy(run.revenue, (r) => r.windowStart)
  for (const [start, rows] of [...byWindow].sort(([a], [b]) => a.localeCompare(b))) {
    const top = rows.sort((a, b) => b.revenue - a.revenue).slice(0, 3)
    const total = rows.reduce((n, r) => n + r.rides, 0)
    console.log(`\n${start.slice(0, 16)}  ${total} rides in ${rows.length} zones; top zones by revenue:`)
    process.stdout.write(table(['ZONE', 'RIDES', 'REVENUE'], top.map((r) => [r.zone, r.rides, r.revenue.toFixed(2)])))
  }
  console.log(`\n${rides.length} rides, ${run.revenue.length} zone-hour results on ${REVENUE_TOPIC}, ${run.late.length} late rides on ${LATE_RIDES_TOPIC}`)
}

if (import.meta.main) await main()
