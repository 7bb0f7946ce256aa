/**
 * @module Side outputs, as Flink's OutputTag: a typed name for a second stream leaving an operator
 * (late data, bad records, anything a process function routes aside).
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'

export class OutputTag<T> {
  readonly id: string
  /** Type-only: keeps OutputTag<A> and OutputTag<B> apart. */
  declare readonly __type: T

  constructor(id: string) {
    if (id.length === 0) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'an OutputTag needs a non-empty id')
    this.id = id
  }
}
