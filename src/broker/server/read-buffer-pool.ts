/**
 * @module Reusable buffers for the log reads behind Fetch responses. A fetch's reads take buffers
 * from a lease; once the response is written to the socket the lease hands them back. Serving a
 * consumer at full speed otherwise allocates one fresh ArrayBuffer per read (megabytes each), and
 * that external memory drives V8 into a full GC every few tens of milliseconds.
 */
import { type ReadBuffers } from '../../log/types.ts'

export interface ReadBufferPoolOptions {
  /** Most bytes kept for reuse; buffers handed back beyond it are left to the GC. */
  maxPooledBytes?: number
  /** Smallest buffer made, so small reads share sizes and reuse each other's buffers. */
  minBufferBytes?: number
  /** Reads larger than this get a buffer of their own that is never pooled. */
  maxBufferBytes?: number
}

export class ReadBufferPool {
  readonly #free: Buffer[] = []
  #freeBytes = 0
  readonly #maxPooled: number
  readonly #min: number
  readonly #max: number

  constructor(options: ReadBufferPoolOptions = {}) {
    this.#maxPooled = options.maxPooledBytes ?? 64 * 1024 * 1024
    this.#min = options.minBufferBytes ?? 64 * 1024
    this.#max = options.maxBufferBytes ?? 16 * 1024 * 1024
  }

  /** Bytes held for reuse now. */
  get pooledBytes(): number {
    return this.#freeBytes
  }

  lease(): ReadLease {
    return new ReadLease(this)
  }

  /** A whole buffer of at least `length` bytes that nobody else holds. */
  acquire(length: number): Buffer {
    let best = -1
    for (let i = 0; i < this.#free.length; i++) {
      const b = this.#free[i] as Buffer
      if (b.length >= length && (best < 0 || b.length < (this.#free[best] as Buffer).length)) best = i
    }
    if (best >= 0) {
      const b = this.#free[best] as Buffer
      this.#free[best] = this.#free[this.#free.length - 1] as Buffer
      this.#free.pop()
      this.#freeBytes -= b.length
      return b
    }
    // allocUnsafeSlow: a buffer of its own, never a slice of Node's shared pool.
    if (length > this.#max) return Buffer.allocUnsafeSlow(length)
    let size = this.#min
    while (size < length) size *= 2
    return Buffer.allocUnsafeSlow(Math.min(size, this.#max))
  }

  /** Takes back a buffer from `acquire` that its holder no longer uses. */
  give(b: Buffer): void {
    if (b.length > this.#max || this.#freeBytes + b.length > this.#maxPooled) return
    this.#free.push(b)
    this.#freeBytes += b.length
  }
}

/** The buffers of one response: taken while it is read, all given back once it is written. */
export class ReadLease implements ReadBuffers {
  readonly #pool: ReadBufferPool
  #taken: Buffer[] = []

  constructor(pool: ReadBufferPool) {
    this.#pool = pool
  }

  take(length: number): Buffer {
    const whole = this.#pool.acquire(length)
    this.#taken.push(whole)
    return whole.subarray(0, length)
  }

  /** Gives every taken buffer back; nothing read through this lease may be used afterwards. */
  release(): void {
    const taken = this.#taken
    this.#taken = []
    for (const b of taken) this.#pool.give(b)
  }
}
