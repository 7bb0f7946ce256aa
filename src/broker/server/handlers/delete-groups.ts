/** @module DeleteGroups (key 42) v0-2: only empty groups; their committed offsets go with them. */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type DeleteGroupsRequestV2, type DeleteGroupsResponseV2 } from '../../../protocol/messages/generated/delete-groups/v2.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { errorCodeOf } from '../wire.ts'

export async function handleDeleteGroups(ctx: RequestContext, body: unknown): Promise<DeleteGroupsResponseV2> {
  const req = body as Loose<DeleteGroupsRequestV2>
  const results = []
  for (const groupId of req.groupsNames ?? []) {
    try {
      await ctx.server.broker.groups.deleteGroup(groupId)
      results.push({ groupId, errorCode: KafkaError.NONE })
    } catch (e) {
      results.push({ groupId, errorCode: errorCodeOf(e) })
    }
  }
  return { throttleTimeMs: 0, results }
}
