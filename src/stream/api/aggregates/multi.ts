/**
 * @module Combinators: `multi` runs several aggregates over one input with one accumulator (an
 * array of the parts), so one window computes e.g. a count, a p95 and a distinct count at once;
 * `filtered` feeds an aggregate only the elements that pass a predicate (SQL's
 * `COUNT(*) FILTER (WHERE ...)`).
 */

import { type AccumulatorSerde, type AggregateFunction } from '../aggregate-function.ts'
import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { ByteReader, ByteWriter, corrupt } from './bytes.ts'

/** Any aggregate, whatever its types (method parameters are compared bivariantly). */
export type AnyAggregateFunction = AggregateFunction<never, unknown, unknown>

export type InputOf<F> = F extends AggregateFunction<infer I, infer _A, infer _O> ? I : never
export type ResultOf<F> = F extends AggregateFunction<infer _I, infer _A, infer O> ? O : never

/**
 * The input type every part accepts: the intersection of the parts' inputs (found by inferring
 * from the union of functions taking each of them, a contravariant position).
 */
export type MultiInput<S extends Record<string, AnyAggregateFunction>> = {
  [K in keyof S]: (value: InputOf<S[K]>) => void
}[keyof S] extends (value: infer I) => void
  ? I
  : never

export type MultiResult<S extends Record<string, AnyAggregateFunction>> = { [K in keyof S]: ResultOf<S[K]> }

const SERDE_MAGIC = 0x4d // 'M'
const SERDE_VERSION = 1
const PART_JSON = 0
const PART_SERDE = 1

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function multiSerde(fns: readonly AggregateFunction<unknown, unknown, unknown>[]): AccumulatorSerde<unknown[]> {
  return {
    serialize(acc) {
      const w = new ByteWriter(256)
      w.u8(SERDE_MAGIC)
      w.u8(SERDE_VERSION)
      w.u32(fns.length)
      for (let i = 0; i < fns.length; i++) {
        const serde = (fns[i] as AggregateFunction<unknown, unknown, unknown>).accumulatorSerde
        if (serde === undefined) {
          w.u8(PART_JSON)
          w.sizedBytes(encoder.encode(JSON.stringify(acc[i]) ?? 'null'))
        } else {
          w.u8(PART_SERDE)
          w.sizedBytes(serde.serialize(acc[i]))
        }
      }
      return w.finish()
    },
    deserialize(bytes) {
      const r = new ByteReader(bytes, 'multi')
      r.header(SERDE_MAGIC, SERDE_VERSION)
      const n = r.u32()
      if (n !== fns.length) throw corrupt('multi', `${n} parts, the aggregate has ${fns.length}`)
      const acc: unknown[] = []
      for (let i = 0; i < n; i++) {
        const kind = r.u8()
        const part = r.sizedBytes()
        const serde = (fns[i] as AggregateFunction<unknown, unknown, unknown>).accumulatorSerde
        if (kind === PART_SERDE && serde !== undefined) acc.push(serde.deserialize(part))
        else if (kind === PART_JSON && serde === undefined) {
          try {
            acc.push(JSON.parse(decoder.decode(part)))
          } catch (err) {
            throw new TributaryError(ErrorCode.STATE_ERROR, `corrupt multi accumulator: part ${i} is not JSON`, { cause: err })
          }
        } else throw corrupt('multi', `part ${i} has kind ${kind}, not what its aggregate stores`)
      }
      r.end()
      return acc
    },
  }
}

/**
 * `multi({ requests: count(), p95: percentile(r => r.ms, 0.95), users: approxCountDistinct(r => r.user) })`
 * gives `{ requests, p95, users }` per window. Parts run in the object's key order.
 */
export function multi<S extends Record<string, AnyAggregateFunction>>(
  specs: S,
): AggregateFunction<MultiInput<S>, unknown[], MultiResult<S>> {
  const names = Object.keys(specs)
  if (names.length === 0) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'multi needs at least one aggregate')
  const fns = names.map((name) => specs[name] as unknown as AggregateFunction<unknown, unknown, unknown>)
  const n = fns.length
  const agg: AggregateFunction<MultiInput<S>, unknown[], MultiResult<S>> = {
    createAccumulator() {
      const acc = new Array<unknown>(n)
      for (let i = 0; i < n; i++) acc[i] = (fns[i] as AggregateFunction<unknown, unknown, unknown>).createAccumulator()
      return acc
    },
    add(acc, value) {
      for (let i = 0; i < n; i++) acc[i] = (fns[i] as AggregateFunction<unknown, unknown, unknown>).add(acc[i], value)
      return acc
    },
    getResult(acc) {
      const out: Record<string, unknown> = {}
      for (let i = 0; i < n; i++) {
        out[names[i] as string] = (fns[i] as AggregateFunction<unknown, unknown, unknown>).getResult(acc[i])
      }
      return out as MultiResult<S>
    },
    merge(a, b) {
      for (let i = 0; i < n; i++) a[i] = (fns[i] as AggregateFunction<unknown, unknown, unknown>).merge(a[i], b[i])
      return a
    },
  }
  // Without a part that needs one, the array of JSON accumulators is itself JSON.
  if (fns.some((f) => f.accumulatorSerde !== undefined)) agg.accumulatorSerde = multiSerde(fns)
  return agg
}

/** Feeds `agg` only the elements for which `predicate` holds. */
export function filtered<IN, ACC, OUT>(
  predicate: (value: IN) => boolean,
  agg: AggregateFunction<IN, ACC, OUT>,
): AggregateFunction<IN, ACC, OUT> {
  const out: AggregateFunction<IN, ACC, OUT> = {
    createAccumulator: () => agg.createAccumulator(),
    add: (acc, value) => (predicate(value) ? agg.add(acc, value) : acc),
    getResult: (acc) => agg.getResult(acc),
    merge: (a, b) => agg.merge(a, b),
  }
  if (agg.accumulatorSerde !== undefined) out.accumulatorSerde = agg.accumulatorSerde
  return out
}
