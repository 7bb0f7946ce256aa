/**
 * @module The in-process metrics registry: counters, gauges and histograms, each in a family keyed by
 * label values (topic/partition, group, ...), plus collectors that compute gauges when a snapshot is
 * taken (lag, log sizes) instead of being updated on every change. Callers on hot paths keep the
 * child returned by `labels()` so that recording is a field update, not a map lookup.
 */
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { Histogram, type HistogramOptions, type HistogramSnapshot } from './histogram.ts'

export type MetricType = 'counter' | 'gauge' | 'histogram'

export class Counter {
  #value = 0

  /** Adds `n` (>= 0; counters only go up). */
  inc(n = 1): void {
    if (!(n >= 0)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `counter increment must be >= 0, got ${n}`)
    this.#value += n
  }

  get value(): number {
    return this.#value
  }
}

export class Gauge {
  #value = 0

  set(value: number): void {
    this.#value = value
  }

  inc(n = 1): void {
    this.#value += n
  }

  dec(n = 1): void {
    this.#value -= n
  }

  get value(): number {
    return this.#value
  }
}

export interface SampleSnapshot {
  labels: Record<string, string>
  value: number
  /** Present for histograms; `value` is then the count. */
  histogram?: HistogramSnapshot
}

export interface MetricSnapshot {
  name: string
  help: string
  type: MetricType
  labelNames: readonly string[]
  samples: SampleSnapshot[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

function checkNames(name: string, labelNames: readonly string[]): void {
  if (!METRIC_NAME.test(name)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `invalid metric name '${name}'`)
  const seen = new Set<string>()
  for (const label of labelNames) {
    if (!LABEL_NAME.test(label) || label.startsWith('__') || label === 'quantile') {
      throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `invalid label name '${label}' for metric '${name}'`)
    }
    if (seen.has(label)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `duplicate label '${label}' for metric '${name}'`)
    seen.add(label)
  }
}

function labelRecord(labelNames: readonly string[], values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < labelNames.length; i++) out[labelNames[i] as string] = values[i] as string
  return out
}

interface Child<M> {
  values: readonly string[]
  metric: M
}

/** All the metrics of one name, one child per distinct combination of label values. */
export class MetricFamily<M extends Counter | Gauge | Histogram> {
  readonly name: string
  readonly help: string
  readonly type: MetricType
  readonly labelNames: readonly string[]
  readonly #create: () => M
  readonly #children = new Map<string, Child<M>>()

  constructor(name: string, help: string, type: MetricType, labelNames: readonly string[], create: () => M) {
    this.name = name
    this.help = help
    this.type = type
    this.labelNames = labelNames
    this.#create = create
  }

  /** The child for these label values (in `labelNames` order), created on first use. */
  labels(...values: string[]): M {
    if (values.length !== this.labelNames.length) {
      throw new TributaryError(
        ErrorCode.INVALID_ARGUMENT,
        `metric '${this.name}' takes ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`,
      )
    }
    // NUL cannot appear in a useful label value, so joining with it keeps keys distinct.
    const key = values.join('\u0000')
    let child = this.#children.get(key)
    if (child === undefined) {
      child = { values: [...values], metric: this.#create() }
      this.#children.set(key, child)
    }
    return child.metric
  }

  /** Drops the child for these label values (a deleted topic, a removed group). */
  remove(...values: string[]): boolean {
    return this.#children.delete(values.join('\u0000'))
  }

  /** Drops every child whose labels match; returns how many. */
  removeWhere(predicate: (labels: Record<string, string>) => boolean): number {
    let removed = 0
    for (const [key, child] of this.#children) {
      if (predicate(labelRecord(this.labelNames, child.values))) {
        this.#children.delete(key)
        removed++
      }
    }
    return removed
  }

  get size(): number {
    return this.#children.size
  }

  snapshot(): MetricSnapshot {
    const samples: SampleSnapshot[] = []
    for (const child of this.#children.values()) {
      const labels = labelRecord(this.labelNames, child.values)
      const m = child.metric
      if (m instanceof Histogram) samples.push({ labels, value: m.count, histogram: m.snapshot() })
      else samples.push({ labels, value: m.value })
    }
    return { name: this.name, help: this.help, type: this.type, labelNames: this.labelNames, samples }
  }
}

/** A sample produced by a collector: label values in `labelNames` order and the value. */
export type CollectedSample = readonly [values: readonly string[], value: number]

interface Collector {
  name: string
  help: string
  type: 'counter' | 'gauge'
  labelNames: readonly string[]
  collect: () => Iterable<CollectedSample>
}

export class MetricsRegistry {
  readonly #families = new Map<string, MetricFamily<Counter | Gauge | Histogram> | Collector>()

  counter(name: string, help: string): Counter {
    return this.counterFamily(name, help, []).labels()
  }

  counterFamily(name: string, help: string, labelNames: readonly string[]): MetricFamily<Counter> {
    return this.#family(name, help, 'counter', labelNames, () => new Counter())
  }

  gauge(name: string, help: string): Gauge {
    return this.gaugeFamily(name, help, []).labels()
  }

  gaugeFamily(name: string, help: string, labelNames: readonly string[]): MetricFamily<Gauge> {
    return this.#family(name, help, 'gauge', labelNames, () => new Gauge())
  }

  histogram(name: string, help: string, options: HistogramOptions = {}): Histogram {
    return this.histogramFamily(name, help, [], options).labels()
  }

  histogramFamily(name: string, help: string, labelNames: readonly string[], options: HistogramOptions = {}): MetricFamily<Histogram> {
    new Histogram(options) // validates the options now rather than at the first labels() call
    return this.#family(name, help, 'histogram', labelNames, () => new Histogram(options))
  }

  /**
   * Registers a family whose samples are computed by `collect` at snapshot time. Returns a function
   * that unregisters it.
   */
  registerCollector(
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    labelNames: readonly string[],
    collect: () => Iterable<CollectedSample>,
  ): () => void {
    checkNames(name, labelNames)
    if (this.#families.has(name)) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `metric '${name}' is already registered`)
    const collector: Collector = { name, help, type, labelNames: [...labelNames], collect }
    this.#families.set(name, collector)
    return () => {
      if (this.#families.get(name) === collector) this.#families.delete(name)
    }
  }

  /** Removes a family (a closed component); returns whether it existed. */
  unregister(name: string): boolean {
    return this.#families.delete(name)
  }

  /** Every family with its current samples, in registration order. */
  snapshot(): MetricSnapshot[] {
    const out: MetricSnapshot[] = []
    for (const family of this.#families.values()) {
      if (family instanceof MetricFamily) {
        out.push(family.snapshot())
        continue
      }
      const samples: SampleSnapshot[] = []
      for (const [values, value] of family.collect()) {
        if (values.length !== family.labelNames.length) {
          throw new TributaryError(ErrorCode.ILLEGAL_STATE, `collector '${family.name}' produced ${values.length} label values, expected ${family.labelNames.length}`)
        }
        samples.push({ labels: labelRecord(family.labelNames, values), value })
      }
      out.push({ name: family.name, help: family.help, type: family.type, labelNames: family.labelNames, samples })
    }
    return out
  }

  #family<M extends Counter | Gauge | Histogram>(
    name: string,
    help: string,
    type: MetricType,
    labelNames: readonly string[],
    create: () => M,
  ): MetricFamily<M> {
    checkNames(name, labelNames)
    const existing = this.#families.get(name)
    if (existing !== undefined) {
      // Asking again for the same family returns it, so components need not share references.
      const same =
        existing instanceof MetricFamily &&
        existing.type === type &&
        existing.labelNames.length === labelNames.length &&
        existing.labelNames.every((l, i) => l === labelNames[i])
      if (!same) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `metric '${name}' is already registered with another type or labels`)
      return existing as MetricFamily<M>
    }
    const family = new MetricFamily<M>(name, help, type, [...labelNames], create)
    this.#families.set(name, family as MetricFamily<Counter | Gauge | Histogram>)
    return family
  }
}
