/** @module An admin whose calls run in the host's admin; arguments and results are plain data. */
import { type Admin } from '../types.ts'
import { type RemoteChannel } from './channel.ts'
import { Op } from './messages.ts'

/** The Admin methods the host serves (close is handled apart). */
export const ADMIN_METHODS: ReadonlySet<string> = new Set<keyof Admin>([
  'createTopics',
  'deleteTopics',
  'listTopics',
  'describeTopics',
  'createPartitions',
  'alterTopicConfigs',
  'listOffsets',
  'listGroups',
  'describeGroup',
  'fetchGroupOffsets',
  'groupLag',
  'resetGroupOffsets',
  'deleteGroups',
])

export class RemoteAdmin implements Admin {
  readonly #channel: RemoteChannel
  readonly #target: number

  constructor(channel: RemoteChannel) {
    this.#channel = channel
    this.#target = channel.newTarget()
    channel.post(Op.ADMIN, this.#target, [])
  }

  #call<T>(method: keyof Admin, args: unknown[]): Promise<T> {
    return this.#channel.request<T>(Op.ADMIN_CALL, this.#target, [method, ...args])
  }

  createTopics: Admin['createTopics'] = (topics) => this.#call('createTopics', [topics])
  deleteTopics: Admin['deleteTopics'] = (names) => this.#call('deleteTopics', [names])
  listTopics: Admin['listTopics'] = (options) => this.#call('listTopics', [options])
  describeTopics: Admin['describeTopics'] = (names) => this.#call('describeTopics', [names])
  createPartitions: Admin['createPartitions'] = (topic, totalCount) => this.#call('createPartitions', [topic, totalCount])
  alterTopicConfigs: Admin['alterTopicConfigs'] = (topic, configs) => this.#call('alterTopicConfigs', [topic, configs])
  listOffsets: Admin['listOffsets'] = (topic, spec) => this.#call('listOffsets', [topic, spec])
  listGroups: Admin['listGroups'] = () => this.#call('listGroups', [])
  describeGroup: Admin['describeGroup'] = (groupId) => this.#call('describeGroup', [groupId])
  fetchGroupOffsets: Admin['fetchGroupOffsets'] = (groupId, topics) => this.#call('fetchGroupOffsets', [groupId, topics])
  groupLag: Admin['groupLag'] = (groupId) => this.#call('groupLag', [groupId])
  resetGroupOffsets: Admin['resetGroupOffsets'] = (groupId, topic, target, partitions) => this.#call('resetGroupOffsets', [groupId, topic, target, partitions])
  deleteGroups: Admin['deleteGroups'] = (groupIds) => this.#call('deleteGroups', [groupIds])

  async close(): Promise<void> {
    await this.#channel.request(Op.CLOSE_TARGET, this.#target, [])
  }
}
