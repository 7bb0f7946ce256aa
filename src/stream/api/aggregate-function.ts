/**
 * @module The incremental aggregation contract, as Flink's AggregateFunction: the window operator
 * and keyed `aggregate` keep one accumulator per key (and window) in state, feed it every element,
 * merge accumulators when session windows merge, and read the result when a trigger fires.
 */

export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC
  /** Adds one element; may mutate and return `acc`. */
  add(acc: ACC, value: IN): ACC
  getResult(acc: ACC): OUT
  /** Combines two accumulators (session-window merging, partial aggregates); may reuse `a`. */
  merge(a: ACC, b: ACC): ACC
  /**
   * How the accumulator is stored by a durable state backend. Needed only when the accumulator is
   * not plain JSON data (sketches with typed arrays, Maps, Sets).
   */
  accumulatorSerde?: AccumulatorSerde<ACC>
}

export interface AccumulatorSerde<ACC> {
  serialize(acc: ACC): Uint8Array
  deserialize(bytes: Uint8Array): ACC
}
