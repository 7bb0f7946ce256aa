/**
 * @module Topic ids to names. Metadata v12 and DeleteTopics v6 may name a topic by id. And
 * @platformatic/kafka 1.x puts the topic id where Fetch v12 has the topic name, so a fetch topic
 * that is not a topic name but is some topic's id is read as that topic (a real topic of that
 * name wins), and answered under the string the client sent.
 */
import { type Broker } from '../broker.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export class TopicIds {
  readonly #broker: Broker

  constructor(broker: Broker) {
    this.#broker = broker
  }

  /** The name of the topic with this id, or undefined. */
  nameOf(id: string): string | undefined {
    return UUID.test(id) ? this.#broker.topicNameById(id) : undefined
  }

  /** `nameOrId` itself when a topic has that name, else the name of the topic with that id, else itself. */
  resolve(nameOrId: string): string {
    if (this.#broker.hasTopic(nameOrId)) return nameOrId
    return this.nameOf(nameOrId) ?? nameOrId
  }
}
