/**
 * @module KeyedStream<K, T>: a stream partitioned by key. Keyed operators keep state per key and
 * run in the task that owns the key's partition.
 */
import { type AggregateFunction } from './aggregate-function.ts'
import { type Change } from './changelog.ts'
import { DataStream } from './data-stream.ts'
import { CountEvictor } from './evictor.ts'
import { type KeyedProcessFunction } from './process-function.ts'
import { type StreamEnvironment } from './stream-environment.ts'
import { CountTrigger, PurgingTrigger } from './trigger.ts'
import { type Transformation } from './transformation.ts'
import { GlobalWindows, type WindowAssigner } from './window-assigner.ts'
import { type GlobalWindow, type Window } from './window.ts'
import { WindowedStream } from './windowed-stream.ts'

export class KeyedStream<K, T> {
  readonly env: StreamEnvironment
  readonly transformation: Transformation
  readonly keySelector: (value: T) => K

  constructor(env: StreamEnvironment, transformation: Transformation, keySelector: (value: T) => K) {
    this.env = env
    this.transformation = transformation
    this.keySelector = keySelector
  }

  process<R>(fn: KeyedProcessFunction<K, T, R>): DataStream<R> {
    const t = this.env.record({ kind: 'keyedProcess', fn: fn as KeyedProcessFunction<unknown, unknown, unknown> }, [this.transformation])
    return new DataStream<R>(this.env, t)
  }

  /** Running aggregate per key, as an update stream (insert, then update). */
  aggregate<ACC, OUT>(fn: AggregateFunction<T, ACC, OUT>): DataStream<Change<K, OUT>> {
    const t = this.env.record({ kind: 'keyedAggregate', fn: fn as AggregateFunction<unknown, unknown, unknown> }, [this.transformation])
    return new DataStream<Change<K, OUT>>(this.env, t)
  }

  /** Running reduce per key, as an update stream. */
  reduce(fn: (a: T, b: T) => T): DataStream<Change<K, T>> {
    return this.aggregate<{ v: T | undefined; has: boolean }, T>({
      createAccumulator: () => ({ v: undefined, has: false }),
      add: (acc, value) => ({ v: acc.has ? fn(acc.v as T, value) : value, has: true }),
      getResult: (acc) => acc.v as T,
      merge: (a, b) => (!b.has ? a : !a.has ? b : { v: fn(a.v as T, b.v as T), has: true }),
    })
  }

  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this, assigner)
  }

  /**
   * Count windows. Tumbling: fires (and purges) every `size` elements of a key. Sliding (with
   * `slide`): every `slide` elements, over the key's last `size` elements.
   */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    const global = this.window(GlobalWindows.create<T>())
    if (slide === undefined) return global.trigger(PurgingTrigger.of(CountTrigger.of<GlobalWindow>(size)))
    return global.evictor(CountEvictor.of<T, GlobalWindow>(size)).trigger(CountTrigger.of<GlobalWindow>(slide))
  }
}
