/**
 * @module SyncGroup (key 14) v0-5: the leader's assignments in, each member's out. v5 names the
 * protocol type and name, which must be the group's. An empty assignment of a consumer group is
 * sent as an encoded empty one, which every client can decode.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { encodeAssignment } from '../../../protocol/consumer-protocol.ts'
import { type SyncGroupRequestV5, type SyncGroupResponseV5 } from '../../../protocol/messages/generated/sync-group/v5.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { EMPTY, groupErrorCode, signalOf } from './group-util.ts'

/** Some clients cannot decode a zero-byte assignment; Kafka's consumers accept an empty one. */
const EMPTY_CONSUMER_ASSIGNMENT = encodeAssignment({ partitions: [] }, 0)

export async function handleSyncGroup(ctx: RequestContext, body: unknown): Promise<SyncGroupResponseV5> {
  const req = body as Loose<SyncGroupRequestV5>
  const groups = ctx.server.broker.groups
  const groupId = req.groupId ?? ''
  const failed = (errorCode: number): SyncGroupResponseV5 => ({ throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: EMPTY })
  try {
    const before = groups.describeGroup(groupId)
    // v5: the client names the protocol it synced for; it must be the group's.
    if (req.protocolType !== null && req.protocolType !== undefined && before.protocolType !== '' && req.protocolType !== before.protocolType) {
      return failed(KafkaError.INCONSISTENT_GROUP_PROTOCOL)
    }
    const assignment = await groups.syncGroup({
      groupId,
      generationId: req.generationId ?? -1,
      memberId: req.memberId ?? '',
      groupInstanceId: req.groupInstanceId ?? null,
      assignments: (req.assignments ?? []).map((a) => ({ memberId: a.memberId ?? '', assignment: a.assignment ?? EMPTY })),
      signal: signalOf(ctx),
    })
    const after = groups.describeGroup(groupId)
    if (req.protocolName !== null && req.protocolName !== undefined && after.protocolName !== '' && req.protocolName !== after.protocolName) {
      return failed(KafkaError.INCONSISTENT_GROUP_PROTOCOL)
    }
    return {
      throttleTimeMs: 0,
      errorCode: KafkaError.NONE,
      protocolType: after.protocolType === '' ? null : after.protocolType,
      protocolName: after.protocolName === '' ? null : after.protocolName,
      assignment: assignment.length === 0 && after.protocolType === 'consumer' ? EMPTY_CONSUMER_ASSIGNMENT : assignment,
    }
  } catch (e) {
    return failed(groupErrorCode(e))
  }
}
