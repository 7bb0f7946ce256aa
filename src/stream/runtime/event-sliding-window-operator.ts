/**
 * @module "Sliding per event" windows (EventSlidingWindows, Flink SQL's OVER RANGE): for every
 * distinct event timestamp t of a key, one result over that key's events in [t - range, t],
 * emitted once the watermark reaches t (so out-of-order events inside the range still count).
 *
 * State: the key's events in map state by timestamp; an event-time timer per distinct timestamp
 * fires its window, and a second timer just after t + range + allowedLateness drops the events
 * once no window that can still change needs them. A late event within the allowed lateness re-emits
 * (as 'update') every already-fired window it falls into, and its own window.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type WindowResult } from '../api/changelog.ts'
import { MapStateDescriptor } from '../api/state.ts'
import { TimeWindow } from '../api/window.ts'
import { type ProcessWindowFunction, type WindowContext, type WindowFiring } from '../api/window-function.ts'
import { type OutputTag } from '../api/output-tag.ts'
import { type InternalMapState, type TimerEntry } from './keyed-state-backend.ts'
import { Metric } from './metrics.ts'
import { AbstractKeyedOperator, type KeySelector } from './keyed-operators.ts'
import { TimestampedCollector, instantiate } from './stateless-operators.ts'
import { NO_TIMESTAMP, type OperatorContext } from './stream-operator.ts'
import { InternalTimerService, type Triggerable } from './timer-service.ts'
import { type WindowContentsSpec } from './window-operator.ts'

export interface EventSlidingWindowSpec {
  keySelector: KeySelector<unknown, unknown>
  range: number
  allowedLateness: number
  lateTag: OutputTag<unknown> | undefined
  contents: WindowContentsSpec
  windowFunction: ProcessWindowFunction<unknown, unknown, unknown, TimeWindow> | undefined
}

const FIRE_NS = 'fire'
const GC_NS = 'gc'

export class EventSlidingWindowOperator extends AbstractKeyedOperator implements Triggerable {
  readonly #spec: EventSlidingWindowSpec
  timers!: InternalTimerService
  #events!: InternalMapState<number, unknown[]>
  #fn: ProcessWindowFunction<unknown, unknown, unknown, TimeWindow> | undefined
  #collector!: TimestampedCollector<unknown>
  #wctx!: WindowContext<TimeWindow> & { window: TimeWindow; firing: WindowFiring; ts: number }

  constructor(spec: EventSlidingWindowSpec) {
    super(spec.keySelector)
    if (!(spec.allowedLateness >= 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `allowed lateness must be >= 0, got ${spec.allowedLateness}`)
    if (spec.contents.kind === 'list' && spec.windowFunction === undefined) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, 'window contents without a window function')
    }
    this.#spec = spec
  }

  override open(ctx: OperatorContext): void {
    super.open(ctx)
    this.timers = new InternalTimerService('event-sliding-window', this.backend, this)
    this.#events = this.backend.mapState(new MapStateDescriptor<number, unknown[]>('events-by-timestamp'))
    this.#collector = new TimestampedCollector(ctx.output)
    const timers = this.timers
    const output = this.output
    this.#wctx = {
      window: new TimeWindow(0, 1),
      firing: { kind: 'insert', early: false, late: false },
      ts: NO_TIMESTAMP,
      currentWatermark: () => timers.currentWatermark,
      currentProcessingTime: () => ctx.clock.now(),
      output<X>(tag: OutputTag<X>, value: X): void {
        output.collectSide(tag.id, value, this.ts)
      },
    }
    const fn = this.#spec.windowFunction
    if (fn !== undefined) {
      this.#fn = instantiate(fn)
      this.#fn.open?.(this.runtimeContext())
    }
  }

  processBatch(_input: number, values: readonly unknown[], timestamps: readonly number[]): void {
    const { range, allowedLateness, lateTag } = this.#spec
    let late = 0
    for (let i = 0; i < values.length; i++) {
      const value = values[i]
      const ts = timestamps[i] as number
      if (ts === NO_TIMESTAMP) {
        throw new TributaryError(ErrorCode.ILLEGAL_STATE, `${this.ctx.operatorName}: an element has no timestamp; event-time windows need assignTimestampsAndWatermarks() or timestamped sources`)
      }
      const wm = this.timers.currentWatermark
      if (ts + allowedLateness <= wm) {
        late++
        if (lateTag !== undefined) this.output.collectSide(lateTag.id, value, ts)
        continue
      }
      const key = this.keySelector(value)
      this.backend.setCurrentKey(key)
      const bucket = this.#events.get(ts)
      const newTimestamp = bucket === undefined
      if (bucket === undefined) this.#events.put(ts, [value])
      else {
        bucket.push(value)
        this.#events.put(ts, bucket)
      }
      this.timers.registerEventTimeTimer(GC_NS, ts + range + allowedLateness + 1)
      if (ts > wm) {
        this.timers.registerEventTimeTimer(FIRE_NS, ts)
        continue
      }
      // Late but within the allowed lateness: every fired window it belongs to changes.
      for (const t of this.#events.keys().sort((a, b) => a - b)) {
        if (t >= ts && t <= ts + range && t <= wm) this.#fire(key, t, t === ts && newTimestamp ? 'insert' : 'update', true)
      }
    }
    if (late > 0) this.ctx.metrics.inc(lateTag === undefined ? Metric.LATE_RECORDS_DROPPED : Metric.LATE_RECORDS_SIDE_OUTPUT, late)
    this.cleanupState(values.length)
  }

  override processWatermark(watermark: number): void {
    this.currentWatermark = watermark
    this.timers.advanceWatermark(watermark)
    this.output.emitWatermark(watermark)
  }

  onEventTimer(timer: TimerEntry): void {
    if (timer.namespace === FIRE_NS) {
      this.#fire(timer.key, timer.time, 'insert', false)
      return
    }
    const oldest = timer.time - this.#spec.range - this.#spec.allowedLateness - 1
    this.#events.remove(oldest)
  }

  onProcessingTimer(): void {}

  #fire(key: unknown, t: number, kind: 'insert' | 'update', late: boolean): void {
    const { range, contents } = this.#spec
    const inRange: unknown[] = []
    let first = true
    for (const [ts, bucket] of this.#events.entries().sort((a, b) => a[0] - b[0])) {
      if (ts < t - range || ts > t) continue
      for (const v of bucket) inRange.push(v)
    }
    if (inRange.length === 0) return
    let result: unknown
    if (contents.kind === 'aggregate') {
      let acc = contents.fn.createAccumulator()
      for (const v of inRange) acc = contents.fn.add(acc, v)
      result = contents.fn.getResult(acc)
    } else if (contents.kind === 'reduce') {
      for (const v of inRange) {
        result = first ? v : contents.fn(result, v)
        first = false
      }
    } else {
      result = inRange
    }
    const window = new TimeWindow(t - range, t + 1)
    const firing: WindowFiring = { kind, early: false, late }
    const fn = this.#fn
    if (fn === undefined) {
      const change: WindowResult<unknown, unknown, TimeWindow> = { kind, key, window, value: result }
      this.output.collect(change, t)
      return
    }
    this.#collector.timestamp = t
    this.#wctx.window = window
    this.#wctx.firing = firing
    this.#wctx.ts = t
    fn.process(key, this.#wctx, contents.kind === 'list' ? inRange : [result], this.#collector)
  }

  override close(): void {
    this.#fn?.close?.()
  }
}
