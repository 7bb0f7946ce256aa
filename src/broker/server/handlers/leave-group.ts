/**
 * @module LeaveGroup (key 13) v0-5: one member (v0-2) or a batch, each answered (v3+); static
 * members may leave by instance id.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import {
  type LeaveGroupRequestV5,
  type LeaveGroupResponseMemberResponseV5,
  type LeaveGroupResponseV5,
} from '../../../protocol/messages/generated/leave-group/v5.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { groupErrorCode } from './group-util.ts'

export function handleLeaveGroup(ctx: RequestContext, body: unknown): LeaveGroupResponseV5 {
  const req = body as Loose<LeaveGroupRequestV5> & { memberId?: string }
  const groups = ctx.server.broker.groups
  const groupId = req.groupId ?? ''
  // v0-2 name one member; v3+ a batch, each answered on its own.
  const identities = ctx.apiVersion >= 3 ? (req.members ?? []) : [{ memberId: req.memberId ?? '', groupInstanceId: null }]
  const members: LeaveGroupResponseMemberResponseV5[] = []
  for (const m of identities) {
    let memberId = m.memberId ?? ''
    try {
      // A static member may leave by its instance id alone.
      if (memberId === '' && typeof m.groupInstanceId === 'string') {
        memberId = groups.describeGroup(groupId).members.find((x) => x.groupInstanceId === m.groupInstanceId)?.memberId ?? ''
      }
      groups.leaveGroup(groupId, [memberId])
      members.push({ memberId, groupInstanceId: m.groupInstanceId ?? null, errorCode: KafkaError.NONE })
    } catch (e) {
      members.push({ memberId, groupInstanceId: m.groupInstanceId ?? null, errorCode: groupErrorCode(e) })
    }
  }
  // Before v3 the one member's error is the response's.
  const errorCode = ctx.apiVersion >= 3 ? KafkaError.NONE : (members[0]?.errorCode ?? KafkaError.NONE)
  return { throttleTimeMs: 0, errorCode, members }
}
