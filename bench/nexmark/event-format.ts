/**
 * @module How the benchmark encodes events and query results in topics: `row` (default), the
 * compact binary row format of src/stream/api/row-format.ts with one schema per event type, or
 * `json`. Flink's Nexmark runs on in-memory Java objects and a discarding sink; here every event is
 * decoded from its record and every result encoded into one, so the encoding is a large share of
 * a simple query's cost (JSON.parse alone ~0.7 µs per event on this machine, the row format ~0.3).
 */
import { type Format, jsonFormat } from '../../src/stream/api/formats.ts'
import { type RowSchema, rowFormat } from '../../src/stream/api/row-format.ts'
import { type NexmarkEvent } from '../../src/stream/generators/nexmark.ts'

export const EVENT_FORMATS = ['row', 'json'] as const
export type EventFormatName = (typeof EVENT_FORMATS)[number]

/** The generator's event types, field by field (Nexmark's Person, Auction, Bid). */
export const NEXMARK_EVENT_VARIANTS: Record<NexmarkEvent['type'], RowSchema> = {
  person: [
    ['id', 'number'],
    ['name', 'string'],
    ['emailAddress', 'string'],
    ['creditCard', 'string'],
    ['city', 'string'],
    ['state', 'string'],
    ['dateTime', 'number'],
    ['extra', 'string'],
  ],
  auction: [
    ['id', 'number'],
    ['itemName', 'string'],
    ['description', 'string'],
    ['initialBid', 'number'],
    ['reserve', 'number'],
    ['dateTime', 'number'],
    ['expires', 'number'],
    ['seller', 'number'],
    ['category', 'number'],
    ['extra', 'string'],
  ],
  bid: [
    ['auction', 'number'],
    ['bidder', 'number'],
    ['price', 'number'],
    ['channel', 'string'],
    ['url', 'string'],
    ['dateTime', 'number'],
    ['extra', 'string'],
  ],
}

export function eventFormat(name: EventFormatName): Format<NexmarkEvent> {
  return name === 'json' ? jsonFormat<NexmarkEvent>() : rowFormat<NexmarkEvent>({ tag: 'type', variants: NEXMARK_EVENT_VARIANTS })
}

/** A query's results: JSON, or rows of the query's output schema. */
export function resultFormat<T>(name: EventFormatName, fields: RowSchema): Format<T> {
  return name === 'json' ? jsonFormat<T>() : rowFormat<T>({ fields })
}
