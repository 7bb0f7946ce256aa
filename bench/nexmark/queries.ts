/**
 * @module The Nexmark queries as DataStream pipelines, each from the events topic to its own output
 * topic. They follow the reference Flink SQL (nexmark/nexmark, queries/qN.sql); where the
 * DataStream API differs, the comment on the query says how.
 */
import { type AggregateFunction } from '../../src/stream/api/aggregate-function.ts'
import { count } from '../../src/stream/api/aggregates/basic.ts'
import { type WindowResult } from '../../src/stream/api/changelog.ts'
import { type DataStream } from '../../src/stream/api/data-stream.ts'
import { type SinkBatching } from '../../src/stream/api/sink.ts'
import { type RowSchema } from '../../src/stream/api/row-format.ts'
import { type TimeWindow } from '../../src/stream/api/window.ts'
import {
  EventTimeSessionWindows,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from '../../src/stream/api/window-assigner.ts'
import { type NexmarkBid, type NexmarkEvent } from '../../src/stream/generators/nexmark.ts'
import { type EventFormatName, resultFormat } from './event-format.ts'

export const QUERY_NAMES = ['q0', 'q1', 'q2', 'q5', 'q11', 'q12'] as const
export type QueryName = (typeof QUERY_NAMES)[number]

export interface QueryDefinition {
  name: QueryName
  title: string
  /** Needs event time: the source assigns `dateTime - 4 s` watermarks (the reference DDL). */
  eventTime: boolean
  /** Has a keyBy: its exchange is in memory on one thread, through a repartition topic across workers. */
  keyed: boolean
  /** Fields of a result, for the row format. */
  result: RowSchema
  /** Builds the pipeline from the decoded events to `sink(stream)`. */
  build(events: DataStream<NexmarkEvent>, output: Output): void
}

/** Writes a stream to the query's output topic. */
export type Output = <T>(stream: DataStream<T>) => void

export interface OutputOptions {
  topic: string
  batching: Partial<SinkBatching>
  format: EventFormatName
  result: RowSchema
}

export function toOutput(options: OutputOptions): Output {
  return (stream) => {
    stream.toTopic(options.topic, { format: resultFormat(options.format, options.result), batching: options.batching }).name('sink')
  }
}

const N = 'number'
const BID_RESULT: RowSchema = [
  ['auction', N],
  ['bidder', N],
  ['price', N],
  ['dateTime', N],
  ['extra', 'string'],
]
const COUNT_RESULT: RowSchema = [
  ['bidder', N],
  ['bid_count', N],
  ['starttime', N],
  ['endtime', N],
]

const isBid = (e: NexmarkEvent): boolean => e.type === 'bid'

/** The bid of an event that passed `isBid`. */
function bid(e: NexmarkEvent): NexmarkBid {
  return e as NexmarkBid
}

interface HotItems {
  max: number
  auctions: number[]
}

/** MAX(num) per window with the auctions that reach it (q5's join on num >= maxn, ties kept). */
const hottest: AggregateFunction<WindowResult<number, number, TimeWindow>, HotItems, HotItems> = {
  createAccumulator: () => ({ max: 0, auctions: [] }),
  add(acc, r) {
    if (r.value > acc.max) {
      acc.max = r.value
      acc.auctions = [r.key]
    } else if (r.value === acc.max) acc.auctions.push(r.key)
    return acc
  },
  getResult: (acc) => acc,
  merge(a, b) {
    if (b.max > a.max) return b
    if (b.max === a.max) for (const x of b.auctions) a.auctions.push(x)
    return a
  },
}

export const QUERIES: Record<QueryName, QueryDefinition> = {
  q0: {
    name: 'q0',
    title: 'pass-through',
    eventTime: false,
    keyed: false,
    result: BID_RESULT,
    build: (events, output) =>
      output(
        events.filter(isBid).map((e) => {
          const b = bid(e)
          return { auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }
        }),
      ),
  },
  q1: {
    name: 'q1',
    title: 'currency conversion',
    eventTime: false,
    keyed: false,
    result: BID_RESULT,
    // DECIMAL(23,3) of 0.908 * price: prices are integers, so price * 908 / 1000 has 3 decimals.
    build: (events, output) =>
      output(
        events.filter(isBid).map((e) => {
          const b = bid(e)
          return { auction: b.auction, bidder: b.bidder, price: (b.price * 908) / 1000, dateTime: b.dateTime, extra: b.extra }
        }),
      ),
  },
  q2: {
    name: 'q2',
    title: 'selection',
    eventTime: false,
    keyed: false,
    result: [
      ['auction', N],
      ['price', N],
    ],
    build: (events, output) =>
      output(
        events
          .filter((e) => e.type === 'bid' && e.auction % 123 === 0)
          .map((e) => {
            const b = bid(e)
            return { auction: b.auction, price: b.price }
          }),
      ),
  },
  q5: {
    name: 'q5',
    title: 'hot items',
    eventTime: true,
    keyed: true,
    result: [
      ['auction', N],
      ['num', N],
    ],
    // HOP(10 s, slide 2 s) count per auction; then per window the max count and the auctions
    // reaching it (the SQL's self-join on window and num >= maxn). Both keyBys run in memory.
    // Window results carry maxTimestamp = end - 1, so the 2 s tumbling window [end - 2 s, end)
    // holds exactly the counts of one hopping window.
    build: (events, output) => {
      const counts = events
        .filter(isBid)
        .keyBy((e) => bid(e).auction, { name: 'by-auction' })
        .window(SlidingEventTimeWindows.of(10_000, 2_000))
        .aggregate(count())
        .name('count-per-auction')
      const hot = counts
        .keyBy((r) => r.window.end, { name: 'by-window' })
        .window(TumblingEventTimeWindows.of(2_000))
        .aggregate(hottest)
        .name('max-per-window')
      output(
        hot.flatMap<{ auction: number; num: number }>((r, out) => {
          for (const auction of r.value.auctions) out.collect({ auction, num: r.value.max })
        }),
      )
    },
  },
  q11: {
    name: 'q11',
    title: 'user sessions',
    eventTime: true,
    keyed: true,
    result: COUNT_RESULT,
    build: (events, output) =>
      output(
        events
          .filter(isBid)
          .keyBy((e) => bid(e).bidder, { name: 'by-bidder' })
          .window(EventTimeSessionWindows.withGap(10_000))
          .aggregate(count())
          .name('sessions')
          .map((r) => ({ bidder: r.key, bid_count: r.value, starttime: r.window.start, endtime: r.window.end })),
      ),
  },
  q12: {
    name: 'q12',
    title: 'processing-time windows',
    eventTime: false,
    keyed: true,
    result: COUNT_RESULT,
    // Windows still open at end of input are not emitted: processing-time timers do not fire at
    // end of input (as in Flink's streaming mode), so a run shorter than 10 s may emit nothing.
    build: (events, output) =>
      output(
        events
          .filter(isBid)
          .keyBy((e) => bid(e).bidder, { name: 'by-bidder' })
          .window(TumblingProcessingTimeWindows.of(10_000))
          .aggregate(count())
          .name('counts')
          .map((r) => ({ bidder: r.key, bid_count: r.value, starttime: r.window.start, endtime: r.window.end })),
      ),
  },
}
