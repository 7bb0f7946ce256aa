/**
 * @module CreateTopics (key 19) v0-7 with validate_only. One node: replication factor 1 (or -1),
 * replica assignments naming only this node.
 */
import { ErrorCode } from '../../../util/errors.ts'
import { KafkaError } from '../../../protocol/error-codes.ts'
import {
  type CreateTopicsRequestV7,
  type CreateTopicsResponseCreatableTopicResultV7,
  type CreateTopicsResponseV7,
} from '../../../protocol/messages/generated/create-topics/v7.ts'
import { parseTopicConfigs } from '../../topic-config.ts'
import { validateTopicName } from '../../topic-manager.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { ZERO_UUID, errorMessageOf } from '../wire.ts'
import { TOPIC_CONFIG_SOURCE, adminErrorCode, checkNodes, fail } from './admin-util.ts'

export async function handleCreateTopics(ctx: RequestContext, body: unknown): Promise<CreateTopicsResponseV7> {
  const req = body as Loose<CreateTopicsRequestV7>
  const broker = ctx.server.broker
  const validateOnly = req.validateOnly ?? false
  const names = (req.topics ?? []).map((t) => t.name ?? '')
  const topics: CreateTopicsResponseCreatableTopicResultV7[] = []
  for (const t of req.topics ?? []) {
    const name = t.name ?? ''
    const result: CreateTopicsResponseCreatableTopicResultV7 = {
      name, topicId: ZERO_UUID, errorCode: KafkaError.NONE, errorMessage: null, numPartitions: -1, replicationFactor: -1, configs: null,
    }
    topics.push(result)
    try {
      if (names.indexOf(name) !== names.lastIndexOf(name)) fail(ErrorCode.INVALID_ARGUMENT, `topic '${name}' appears more than once in the request`)
      validateTopicName(name)
      const replicationFactor = t.replicationFactor ?? -1
      if (replicationFactor !== -1 && replicationFactor !== 1) {
        result.errorCode = KafkaError.INVALID_REPLICATION_FACTOR
        result.errorMessage = `replication factor ${replicationFactor} is not possible on one node`
        continue
      }
      const assignments = t.assignments ?? []
      for (const a of assignments) checkNodes(ctx, a.brokerIds)
      let partitions = t.numPartitions ?? -1
      if (assignments.length > 0) {
        if (partitions !== -1) fail(ErrorCode.INVALID_ARGUMENT, 'give either a partition count or replica assignments, not both')
        partitions = assignments.length
      }
      if (partitions !== -1 && (!Number.isInteger(partitions) || partitions < 1)) fail(ErrorCode.INVALID_PARTITIONS, `partition count ${partitions} must be at least 1`)
      const configs: Record<string, string> = {}
      for (const c of t.configs ?? []) if (c.name !== undefined && c.value !== null && c.value !== undefined) configs[c.name] = c.value
      parseTopicConfigs(configs)
      if (broker.hasTopic(name)) fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`)
      if (validateOnly) {
        result.numPartitions = partitions
        result.replicationFactor = 1
        continue
      }
      const d = await broker.createTopic(name, partitions === -1 ? { configs } : { partitions, configs })
      result.topicId = d.id
      result.numPartitions = d.partitions.length
      result.replicationFactor = 1
      result.configs = Object.entries(d.configs).map(([k, v]) => ({ name: k, value: v, readOnly: false, configSource: TOPIC_CONFIG_SOURCE, isSensitive: false }))
    } catch (e) {
      result.errorCode = adminErrorCode(e)
      result.errorMessage = errorMessageOf(e)
    }
  }
  return { throttleTimeMs: 0, topics }
}
