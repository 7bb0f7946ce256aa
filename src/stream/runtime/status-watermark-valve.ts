/**
 * @module Combines the watermarks of several inputs into one, as Flink's StatusWatermarkValve:
 * the output is the minimum over active inputs and only ever increases. An idle input is left
 * out of the minimum until it becomes active and catches up with the output; when every input is
 * idle the output turns idle too. An ended input counts as watermark +Infinity.
 */

export interface ValveOutput {
  onWatermark(watermark: number): void
  onIdle(idle: boolean): void
}

export class StatusWatermarkValve {
  readonly #watermarks: number[]
  readonly #idle: boolean[]
  /** An active input takes part in the minimum once its watermark reached the output. */
  readonly #aligned: boolean[]
  readonly #out: ValveOutput
  #last = Number.NEGATIVE_INFINITY
  #outputIdle = false

  constructor(inputs: number, out: ValveOutput) {
    this.#watermarks = new Array<number>(inputs).fill(Number.NEGATIVE_INFINITY)
    this.#idle = new Array<boolean>(inputs).fill(false)
    this.#aligned = new Array<boolean>(inputs).fill(true)
    this.#out = out
  }

  get watermark(): number {
    return this.#last
  }

  get idle(): boolean {
    return this.#outputIdle
  }

  inputWatermark(input: number, watermark: number): void {
    if (this.#idle[input] === true) return
    if (watermark <= (this.#watermarks[input] as number)) return
    this.#watermarks[input] = watermark
    if (this.#aligned[input] !== true && watermark >= this.#last) this.#aligned[input] = true
    this.#advance()
  }

  inputIdle(input: number, idle: boolean): void {
    if (this.#idle[input] === idle) return
    this.#idle[input] = idle
    if (idle) {
      this.#aligned[input] = false
      if (this.#idle.every(Boolean)) {
        // Every input went quiet: let the furthest watermark through before going idle, so
        // windows that all inputs already passed do fire.
        const max = Math.max(...this.#watermarks)
        if (max > this.#last) {
          this.#last = max
          this.#out.onWatermark(max)
        }
        this.#outputIdle = true
        this.#out.onIdle(true)
      } else {
        this.#advance()
      }
      return
    }
    this.#aligned[input] = (this.#watermarks[input] as number) >= this.#last
    if (this.#outputIdle) {
      this.#outputIdle = false
      this.#out.onIdle(false)
    }
  }

  #advance(): void {
    let min = Number.POSITIVE_INFINITY
    let any = false
    for (let i = 0; i < this.#watermarks.length; i++) {
      if (this.#aligned[i] !== true || this.#idle[i] === true) continue
      any = true
      const w = this.#watermarks[i] as number
      if (w < min) min = w
    }
    if (any && min > this.#last) {
      this.#last = min
      this.#out.onWatermark(min)
    }
  }
}
