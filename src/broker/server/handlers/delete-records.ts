/**
 * @module DeleteRecords (key 21) v0-2. The log moves its start only by retention, so a request to
 * delete records up to an offset is refused per partition (POLICY_VIOLATION), with the current log
 * start as the low watermark; unknown partitions get UNKNOWN_TOPIC_OR_PARTITION.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type DeleteRecordsRequestV2, type DeleteRecordsResponseV2 } from '../../../protocol/messages/generated/delete-records/v2.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { big, errorCodeOf } from '../wire.ts'

export async function handleDeleteRecords(ctx: RequestContext, body: unknown): Promise<DeleteRecordsResponseV2> {
  const req = body as Loose<DeleteRecordsRequestV2>
  const topics = []
  for (const t of req.topics ?? []) {
    const name = t.name ?? ''
    const partitions = []
    for (const p of t.partitions ?? []) {
      const partitionIndex = p.partitionIndex ?? -1
      try {
        const start = await ctx.server.broker.listOffsets(name, partitionIndex, 'earliest')
        partitions.push({ partitionIndex, lowWatermark: big(start.offset), errorCode: KafkaError.POLICY_VIOLATION })
      } catch (e) {
        partitions.push({ partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(e) })
      }
    }
    topics.push({ name, partitions })
  }
  return { throttleTimeMs: 0, topics }
}
