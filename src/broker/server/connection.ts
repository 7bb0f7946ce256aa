/**
 * @module One client connection: cuts the byte stream into frames (rejecting oversized ones before
 * buffering them), runs the requests in arrival order and writes the responses strictly in that
 * order, as pipelining clients expect. As in Kafka, a request starts once the one before it is
 * done (so it sees its effects), with one exception: consecutive Produce requests overlap, because
 * an append happens synchronously when its handler starts and only the wait for the disk is
 * shared, so a pipelining producer's batches join one group commit. Backpressure: reading pauses
 * while too many requests are queued or the client does not read its responses.
 */
import { type Socket } from 'node:net'
import { nextFrameLength } from '../../protocol/frame.ts'
import { ApiKey } from '../../protocol/messages/index.ts'
import { type ConnectionState, type ServerContext } from './context.ts'
import { type Outcome, handleFrame } from './dispatcher.ts'
import { handleRawSaslToken } from './sasl/raw-token.ts'

/** Requests a connection may have in flight before reading pauses. */
const MAX_IN_FLIGHT = 64
/** Unwritten response bytes at which reading pauses until the socket drains. */
const WRITE_HIGH_WATER = 8 * 1024 * 1024

export interface ConnectionLimits {
  maxFrameBytes: number
  /** Frame cap until the client has authenticated (only when SASL is on). */
  preAuthMaxFrameBytes: number
}

interface Slot {
  frame: Buffer | undefined
  produce: boolean
  started: boolean
  outcome: Outcome | undefined
}

export class KafkaConnection {
  readonly state: ConnectionState
  readonly #socket: Socket
  readonly #server: ServerContext
  readonly #limits: ConnectionLimits
  readonly #abort = new AbortController()
  readonly #chunks: Buffer[] = []
  #buffered = 0
  readonly #queue: Slot[] = []
  #draining = false
  #closed = false
  /** Set while #readFrames runs: a response completed inside it must not start another read loop. */
  #reading = false
  #pumping = false
  /** Bytes of received requests not started yet: bounded, so a flood of large frames waits in the socket. */
  #waitingBytes = 0
  #pumpAgain = false
  readonly #ended: Promise<void>

  constructor(id: number, socket: Socket, server: ServerContext, limits: ConnectionLimits) {
    this.#socket = socket
    this.#server = server
    this.#limits = limits
    this.state = {
      id,
      clientHost: socket.remoteAddress ?? 'unknown',
      signal: this.#abort.signal,
      parkedSignal: AbortSignal.any([this.#abort.signal, server.closing]),
      principal: undefined,
      saslMechanism: undefined,
      saslExchange: undefined,
      rawSaslTokens: false,
      closeAfterResponse: false,
    }
    this.#ended = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('drain', () => this.#maybeResume())
    socket.on('error', () => undefined) // 'close' follows; a reset client is not our problem
    socket.on('close', () => this.#onClose())
  }

  /** Resolves once the socket is closed. */
  get ended(): Promise<void> {
    return this.#ended
  }

  /**
   * Stops reading: requests already received still run (a long poll answers at once, as the server
   * is closing) and the connection ends once their responses are written.
   */
  drain(): void {
    this.#draining = true
    // Keep reading (and discarding, see #onData): a paused socket never sees the client's FIN, so
    // 'close' would wait for the grace timer instead of the client hanging up.
    this.#socket.resume()
    this.#chunks.length = 0
    this.#buffered = 0
    if (this.#queue.length === 0) this.#socket.end()
  }

  /** Closes at once, dropping whatever is in flight. */
  destroy(): void {
    this.#socket.destroy()
  }

  #maxFrame(): number {
    const sasl = this.#server.sasl !== undefined && this.state.principal === undefined
    return sasl ? this.#limits.preAuthMaxFrameBytes : this.#limits.maxFrameBytes
  }

  #onData(chunk: Buffer): void {
    if (this.#closed || this.#draining) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    this.#readFrames()
  }

  #readFrames(): void {
    if (this.#reading) return
    this.#reading = true
    try {
      while (!this.#closed && !this.#draining && !this.#full() && this.#buffered >= 4) {
        const head = this.#contiguous(4)
        let length: number
        try {
          length = nextFrameLength(head, 0, this.#maxFrame())
        } catch {
          this.#kill() // oversized or negative: the rest of the stream cannot be framed
          return
        }
        if (this.#buffered < length) return
        const frame = this.#take(length)
        const produce = !this.state.rawSaslTokens && frame.length >= 6 && frame.readInt16BE(4) === ApiKey.Produce
        this.#queue.push({ frame, produce, started: false, outcome: undefined })
        this.#waitingBytes += frame.length
        this.#pump()
      }
    } finally {
      this.#reading = false
    }
    if (this.#full()) this.#socket.pause()
  }

  #full(): boolean {
    return this.#queue.length >= MAX_IN_FLIGHT || this.#waitingBytes >= this.#limits.maxFrameBytes
  }

  /** Starts the queued requests that may start: after everything before them, or produce after produce. */
  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true
      return
    }
    this.#pumping = true
    try {
      do {
        this.#pumpAgain = false
        for (let i = 0; i < this.#queue.length && !this.#closed; i++) {
          const slot = this.#queue[i] as Slot
          if (slot.started) continue
          let blocked = false
          for (let j = 0; j < i; j++) {
            const before = this.#queue[j] as Slot
            if (before.outcome === undefined && !(slot.produce && before.produce)) blocked = true
          }
          if (blocked) break
          this.#start(slot)
        }
      } while (this.#pumpAgain && !this.#closed)
    } finally {
      this.#pumping = false
    }
  }

  /** The first `n` buffered bytes as one buffer (merging only as many leading chunks as needed). */
  #contiguous(n: number): Buffer {
    const first = this.#chunks[0] as Buffer
    if (first.length >= n) return first
    let count = 0
    let bytes = 0
    while (bytes < n && count < this.#chunks.length) bytes += (this.#chunks[count++] as Buffer).length
    const merged = Buffer.concat(this.#chunks.slice(0, count))
    this.#chunks.splice(0, count, merged)
    return merged
  }

  /** Removes and returns the first `n` buffered bytes; a frame within one chunk is not copied. */
  #take(n: number): Buffer {
    this.#buffered -= n
    const first = this.#chunks[0] as Buffer
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.#chunks[0] as Buffer
      const use = Math.min(c.length, n - filled)
      c.copy(out, filled, 0, use)
      filled += use
      if (use === c.length) this.#chunks.shift()
      else this.#chunks[0] = c.subarray(use)
    }
    return out
  }

  #start(slot: Slot): void {
    slot.started = true
    const frame = slot.frame as Buffer
    slot.frame = undefined
    this.#waitingBytes -= frame.length
    let result: Outcome | Promise<Outcome>
    if (this.state.rawSaslTokens) {
      result = handleRawSaslToken(this.#server, this.state, frame)
    } else {
      result = handleFrame(this.#server, this.state, frame, this.#maxFrame())
    }
    if (result instanceof Promise) {
      void result.then((outcome) => this.#complete(slot, outcome))
    } else {
      this.#complete(slot, result)
    }
  }

  #complete(slot: Slot, outcome: Outcome): void {
    slot.outcome = outcome
    if (this.#closed) return
    // Responses leave in request order: write every finished response at the head of the queue.
    let wrote = false
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Slot
      const out = head.outcome
      if (out === undefined) break
      this.#queue.shift()
      if (out.kind === 'close') {
        if (wrote) this.#socket.uncork()
        this.#closeGracefully()
        return
      }
      if (out.kind === 'respond') {
        if (!wrote) this.#socket.cork()
        wrote = true
        const chunks = out.chunks
        const lastChunk = chunks.length - 1
        // `written` runs once the socket has taken the last chunk (or failed): read buffers in the
        // response may then be reused. Write callbacks run in order, so every chunk is out by then.
        for (let i = 0; i <= lastChunk; i++) this.#socket.write(chunks[i] as Buffer, i === lastChunk ? out.written : undefined)
        if (lastChunk < 0) out.written?.()
        if (out.last === true) {
          this.#socket.uncork()
          this.#closeGracefully()
          return
        }
      }
    }
    if (wrote) this.#socket.uncork()
    this.#pump()
    if (this.#draining) {
      if (this.#queue.length === 0) this.#socket.end()
      return
    }
    this.#maybeResume()
  }

  #maybeResume(): void {
    if (this.#closed || this.#draining) return
    if (this.#full() || this.#socket.writableLength >= WRITE_HIGH_WATER) {
      this.#socket.pause()
      return
    }
    if (this.#socket.isPaused()) this.#socket.resume()
    this.#readFrames()
  }

  /** Ends the socket after what is already written; later requests are dropped. */
  #closeGracefully(): void {
    this.#closed = true
    this.#chunks.length = 0
    this.#buffered = 0
    this.#abort.abort()
    this.#socket.end()
  }

  #kill(): void {
    this.#closed = true
    this.#chunks.length = 0
    this.#buffered = 0
    this.#abort.abort()
    this.#socket.destroy()
  }

  #onClose(): void {
    this.#closed = true
    this.#chunks.length = 0
    this.#buffered = 0
    this.#abort.abort()
  }
}
