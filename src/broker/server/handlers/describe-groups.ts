/**
 * @module DescribeGroups (key 15) v0-5: an unknown group is described as Dead with no members, as
 * Kafka does.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type DescribeGroupsRequestV5, type DescribeGroupsResponseV5 } from '../../../protocol/messages/generated/describe-groups/v5.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { NO_AUTHORIZED_OPERATIONS } from './metadata.ts'
import { errorCodeOf } from '../wire.ts'

export function handleDescribeGroups(ctx: RequestContext, body: unknown): DescribeGroupsResponseV5 {
  const req = body as Loose<DescribeGroupsRequestV5>
  const groups = (req.groups ?? []).map((groupId) => {
    try {
      const d = ctx.server.broker.groups.describeGroup(groupId)
      return {
        errorCode: KafkaError.NONE,
        groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocolName,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: NO_AUTHORIZED_OPERATIONS,
      }
    } catch (e) {
      return { errorCode: errorCodeOf(e), groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: NO_AUTHORIZED_OPERATIONS }
    }
  })
  return { throttleTimeMs: 0, groups }
}
