/**
 * @module The embedded client: the Client interface in-process over a Broker, with no network in
 * between. `openEmbedded` opens a broker on a data directory for programs that want both.
 */
import { Broker } from '../../broker/broker.ts'
import { type Clock, systemClock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Admin, type Client, type Consumer, type ConsumerOptions, type Producer, type ProducerOptions } from '../types.ts'
import { EmbeddedAdmin } from './admin.ts'
import { EmbeddedConsumer } from './consumer.ts'
import { TopicMetadata } from './metadata.ts'
import { EmbeddedProducer } from './producer.ts'

export interface EmbeddedClientOptions {
  broker: Broker
  /** Time for heartbeats, auto-commit and backoff; the system clock by default. */
  clock?: Clock
}

class EmbeddedClient implements Client {
  readonly #broker: Broker
  readonly #clock: Clock
  readonly #metadata: TopicMetadata
  readonly #open = new Set<{ close(): Promise<void> }>()
  #closed = false

  constructor(broker: Broker, clock: Clock) {
    this.#broker = broker
    this.#clock = clock
    this.#metadata = new TopicMetadata(broker, clock)
  }

  producer(options: ProducerOptions = {}): Producer {
    this.#checkOpen()
    const p = new EmbeddedProducer(this.#broker, this.#metadata, this.#clock, options, (x) => this.#open.delete(x))
    this.#open.add(p)
    return p
  }

  consumer(options: ConsumerOptions = {}): Consumer {
    this.#checkOpen()
    const c = new EmbeddedConsumer(this.#broker, this.#metadata, this.#clock, options, (x) => this.#open.delete(x))
    this.#open.add(c)
    return c
  }

  admin(): Admin {
    this.#checkOpen()
    return new EmbeddedAdmin(this.#broker, this.#metadata)
  }

  /** Closes every producer and consumer made by this client; the broker stays open (its owner closes it). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const errors: unknown[] = []
    for (const x of [...this.#open]) await x.close().catch((err: unknown) => errors.push(err))
    this.#open.clear()
    if (errors.length > 0) throw errors[0]
  }

  #checkOpen(): void {
    if (this.#closed) throw new TributaryError(ErrorCode.CLOSED, 'client is closed')
  }
}

export function createEmbeddedClient(options: EmbeddedClientOptions): Client {
  return new EmbeddedClient(options.broker, options.clock ?? systemClock)
}

export interface OpenEmbeddedOptions {
  dataDir: string
  clock?: Clock
}

/** Opens a broker on `dataDir` and a client over it. Close the client, then the broker. */
export async function openEmbedded(options: OpenEmbeddedOptions): Promise<{ broker: Broker; client: Client }> {
  const clock = options.clock ?? systemClock
  const broker = await Broker.open({ dataDir: options.dataDir }, { clock })
  return { broker, client: createEmbeddedClient({ broker, clock }) }
}
