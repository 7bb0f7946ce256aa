/** @module CreatePartitions (key 37) v0-3 with validate_only: topics only grow. */
import { ErrorCode } from '../../../util/errors.ts'
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type CreatePartitionsRequestV3, type CreatePartitionsResponseV3 } from '../../../protocol/messages/generated/create-partitions/v3.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { errorMessageOf } from '../wire.ts'
import { adminErrorCode, checkNodes, fail } from './admin-util.ts'

export async function handleCreatePartitions(ctx: RequestContext, body: unknown): Promise<CreatePartitionsResponseV3> {
  const req = body as Loose<CreatePartitionsRequestV3>
  const broker = ctx.server.broker
  const results = []
  for (const t of req.topics ?? []) {
    const name = t.name ?? ''
    try {
      const count = t.count ?? -1
      const current = broker.describeTopic(name).partitions.length
      for (const a of t.assignments ?? []) checkNodes(ctx, a.brokerIds)
      if (t.assignments !== null && t.assignments !== undefined && t.assignments.length !== count - current) {
        fail(ErrorCode.INVALID_ARGUMENT, `${t.assignments.length} assignments for ${count - current} new partitions`)
      }
      if (!Number.isInteger(count) || count <= current) fail(ErrorCode.INVALID_PARTITIONS, `topic '${name}' has ${current} partitions; the new count ${count} must be larger`)
      if (!(req.validateOnly ?? false)) await broker.createPartitions(name, count)
      results.push({ name, errorCode: KafkaError.NONE, errorMessage: null })
    } catch (e) {
      results.push({ name, errorCode: adminErrorCode(e), errorMessage: errorMessageOf(e) })
    }
  }
  return { throttleTimeMs: 0, results }
}
