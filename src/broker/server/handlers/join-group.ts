/**
 * @module JoinGroup (key 11) v0-9 over `Broker.groups`: v4+ first answers MEMBER_ID_REQUIRED with
 * the member id to rejoin with. A join parks until the rebalance completes; it gives up
 * (COORDINATOR_NOT_AVAILABLE, so the client finds the coordinator again) when the connection
 * closes or the server shuts down.
 */
import { ErrorCode } from '../../../util/errors.ts'
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type JoinGroupRequestV9, type JoinGroupResponseV9 } from '../../../protocol/messages/generated/join-group/v9.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { isCode } from '../wire.ts'
import { EMPTY, groupErrorCode, signalOf } from './group-util.ts'

export async function handleJoinGroup(ctx: RequestContext, body: unknown): Promise<JoinGroupResponseV9> {
  const req = body as Loose<JoinGroupRequestV9>
  const sessionTimeoutMs = req.sessionTimeoutMs ?? 0
  const failed = (errorCode: number, memberId: string): JoinGroupResponseV9 => ({
    throttleTimeMs: 0,
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: ctx.apiVersion >= 7 ? null : '',
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  })
  try {
    const r = await ctx.server.broker.groups.joinGroup({
      groupId: req.groupId ?? '',
      memberId: req.memberId ?? '',
      groupInstanceId: req.groupInstanceId ?? null,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.connection.clientHost,
      sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs ?? sessionTimeoutMs,
      protocolType: req.protocolType ?? '',
      protocols: (req.protocols ?? []).map((p) => ({ name: p.name ?? '', metadata: p.metadata ?? EMPTY })),
      requireKnownMemberId: ctx.apiVersion >= 4,
      signal: signalOf(ctx),
    })
    return {
      throttleTimeMs: 0,
      errorCode: KafkaError.NONE,
      generationId: r.generationId,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      leader: r.leader,
      skipAssignment: false,
      memberId: r.memberId,
      members: r.members,
    }
  } catch (e) {
    if (isCode(e, ErrorCode.MEMBER_ID_REQUIRED)) {
      const memberId = e.details['memberId']
      return failed(KafkaError.MEMBER_ID_REQUIRED, typeof memberId === 'string' ? memberId : '')
    }
    return failed(groupErrorCode(e), req.memberId ?? '')
  }
}
