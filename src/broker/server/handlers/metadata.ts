/**
 * @module Metadata (key 3) v0-12: this node as the only broker, controller and leader of every
 * partition; topics by name or (v12) by id; auto-creation when the request allows it (v4+, always
 * before) and the broker is configured to. Leader epochs are reported as -1 (unknown) so that
 * clients do not try to validate positions with OffsetForLeaderEpoch, which we do not serve.
 */
import { ErrorCode } from '../../../util/errors.ts'
import { KafkaError } from '../../../protocol/error-codes.ts'
import {
  type MetadataRequestV12,
  type MetadataResponseTopicV12,
  type MetadataResponseV12,
} from '../../../protocol/messages/generated/metadata/v12.ts'
import { type Broker } from '../../broker.ts'
import { type TopicDescription } from '../../types.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { ZERO_UUID, errorCodeOf, isCode } from '../wire.ts'

/** Kafka's "authorized operations not requested" sentinel (INT32_MIN). */
export const NO_AUTHORIZED_OPERATIONS = -2147483648

export function topicMetadata(nodeId: number, d: TopicDescription): MetadataResponseTopicV12 {
  return {
    errorCode: KafkaError.NONE,
    name: d.name,
    topicId: d.id,
    isInternal: d.internal,
    partitions: d.partitions.map((p) => ({
      errorCode: KafkaError.NONE,
      partitionIndex: p.partition,
      leaderId: nodeId,
      leaderEpoch: -1,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: NO_AUTHORIZED_OPERATIONS,
  }
}

function errorTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseTopicV12 {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: NO_AUTHORIZED_OPERATIONS }
}

async function describeOrCreate(broker: Broker, nodeId: number, name: string, autoCreate: boolean): Promise<MetadataResponseTopicV12> {
  try {
    if (!broker.hasTopic(name)) {
      if (!autoCreate) return errorTopic(name, ZERO_UUID, KafkaError.UNKNOWN_TOPIC_OR_PARTITION)
      try {
        await broker.createTopic(name)
      } catch (e) {
        if (!isCode(e, ErrorCode.TOPIC_ALREADY_EXISTS)) throw e
      }
    }
    return topicMetadata(nodeId, broker.describeTopic(name))
  } catch (e) {
    return errorTopic(name, ZERO_UUID, errorCodeOf(e))
  }
}


export async function handleMetadata(ctx: RequestContext, body: unknown): Promise<MetadataResponseV12> {
  const req = body as Loose<MetadataRequestV12>
  const { broker, nodeId, advertised, clusterId } = ctx.server
  // v0 has no null: an empty list means every topic there.
  const all = req.topics === null || req.topics === undefined || (ctx.apiVersion === 0 && req.topics.length === 0)
  const autoCreate = (req.allowAutoTopicCreation ?? true) && broker.autoCreateTopics
  const topics: MetadataResponseTopicV12[] = []
  if (all) {
    for (const name of broker.listTopics()) topics.push(topicMetadata(nodeId, broker.describeTopic(name)))
  } else {
    for (const t of req.topics ?? []) {
      if (t.name === null || t.name === undefined) {
        const topicId = t.topicId ?? ZERO_UUID
        const name = ctx.server.topicIds.nameOf(topicId)
        // Names are nullable in responses from v12 only.
        topics.push(name === undefined ? errorTopic(ctx.apiVersion >= 12 ? null : '', topicId, KafkaError.UNKNOWN_TOPIC_ID) : topicMetadata(nodeId, broker.describeTopic(name)))
        continue
      }
      topics.push(await describeOrCreate(broker, nodeId, t.name, autoCreate))
    }
  }
  const response: MetadataResponseV12 & { clusterAuthorizedOperations: number } = {
    throttleTimeMs: 0,
    brokers: [{ nodeId, host: advertised.host, port: advertised.port, rack: null }],
    clusterId,
    controllerId: nodeId,
    topics,
    clusterAuthorizedOperations: NO_AUTHORIZED_OPERATIONS,
  }
  return response
}
