/** @module ListGroups (key 16) v0-4 (v4: a states filter, case-insensitive). */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type ListGroupsRequestV4, type ListGroupsResponseV4 } from '../../../protocol/messages/generated/list-groups/v4.ts'
import { type Loose, type RequestContext } from '../context.ts'

export function handleListGroups(ctx: RequestContext, body: unknown): ListGroupsResponseV4 {
  const req = body as Loose<ListGroupsRequestV4>
  const states = new Set((req.statesFilter ?? []).map((s) => s.toLowerCase()))
  const groups = ctx.server.broker.groups
    .listGroups()
    .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state }))
  return { throttleTimeMs: 0, errorCode: KafkaError.NONE, groups }
}
