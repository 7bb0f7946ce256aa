/**
 * @module The Kafka client: the Client interface over the Kafka protocol with @platformatic/kafka,
 * against our own wire server or any Kafka-compatible cluster. Each producer, consumer and admin
 * has its own connections (a consumer two: group coordination and fetching).
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Admin, type Client, type Consumer, type ConsumerOptions, type Producer, type ProducerOptions } from '../types.ts'
import { KafkaAdmin } from './admin.ts'
import { KafkaConsumer } from './consumer.ts'
import { type KafkaClientOptions, validateOptions } from './options.ts'
import { KafkaProducer } from './producer.ts'

export type { KafkaClientOptions, KafkaSasl, SaslMechanism } from './options.ts'
export { parseHostPort } from './options.ts'

class KafkaClient implements Client {
  readonly #options: KafkaClientOptions
  readonly #open = new Set<{ close(): Promise<void> }>()
  #closed = false

  constructor(options: KafkaClientOptions) {
    this.#options = options
  }

  producer(options: ProducerOptions = {}): Producer {
    this.#checkOpen()
    const p = new KafkaProducer(this.#options, options, (x) => this.#open.delete(x))
    this.#open.add(p)
    return p
  }

  consumer(options: ConsumerOptions = {}): Consumer {
    this.#checkOpen()
    const c = new KafkaConsumer(this.#options, options, (x) => this.#open.delete(x))
    this.#open.add(c)
    return c
  }

  admin(): Admin {
    this.#checkOpen()
    const a = new KafkaAdmin(this.#options, (x) => this.#open.delete(x))
    this.#open.add(a)
    return a
  }

  /** Closes every producer, consumer and admin made by this client. */
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

/** A Client speaking the Kafka protocol to `bootstrap` brokers. Nothing connects until first use. */
export function createKafkaClient(options: KafkaClientOptions): Client {
  validateOptions(options)
  return new KafkaClient(options)
}
