/**
 * @module ListOffsets (key 2) v0-7: -2 earliest (log start), -1 latest (the high watermark, or
 * the last stable offset for read_committed), t >= 0 the first offset whose batch has a timestamp
 * >= t. -3 (v7, max timestamp) gets the last record's offset (timestamps of a partition usually
 * grow; the time index cannot say more), -1 when empty. v0's "old style" answer is a list of one.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import {
  type ListOffsetsPartitionResponseV7,
  type ListOffsetsRequestV7,
  type ListOffsetsResponseV7,
} from '../../../protocol/messages/generated/list-offsets/v7.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { big, errorCodeOf, toNumber } from '../wire.ts'

const LATEST = -1
const EARLIEST = -2
const MAX_TIMESTAMP = -3
const READ_COMMITTED = 1

type PartitionResponse = ListOffsetsPartitionResponseV7 & { oldStyleOffsets: bigint[] }

export async function handleListOffsets(ctx: RequestContext, body: unknown): Promise<ListOffsetsResponseV7> {
  const req = body as Loose<ListOffsetsRequestV7>
  const { broker, transactions } = ctx.server
  const readCommitted = (req.isolationLevel ?? 0) === READ_COMMITTED
  const topics = []
  for (const t of req.topics ?? []) {
    const name = t.name ?? ''
    const partitions: PartitionResponse[] = []
    for (const p of t.partitions ?? []) {
      const partitionIndex = p.partitionIndex ?? -1
      const ts = toNumber(p.timestamp, LATEST)
      const answer = (offset: number, timestamp: number): PartitionResponse => ({
        partitionIndex,
        errorCode: KafkaError.NONE,
        timestamp: big(timestamp),
        offset: big(offset),
        leaderEpoch: -1,
        oldStyleOffsets: offset >= 0 ? [big(offset)] : [],
      })
      try {
        if (ts === LATEST) {
          const latest = await broker.listOffsets(name, partitionIndex, 'latest')
          partitions.push(answer(readCommitted ? transactions.lastStableOffset(name, partitionIndex, latest.offset) : latest.offset, -1))
        } else if (ts === EARLIEST) {
          partitions.push(answer((await broker.listOffsets(name, partitionIndex, 'earliest')).offset, -1))
        } else if (ts === MAX_TIMESTAMP) {
          const latest = await broker.listOffsets(name, partitionIndex, 'latest')
          partitions.push(latest.offset === 0 ? answer(-1, -1) : answer(latest.offset - 1, -1))
        } else if (Number.isSafeInteger(ts) && ts >= 0) {
          const found = await broker.listOffsets(name, partitionIndex, { timestamp: ts })
          partitions.push(answer(found.offset, found.timestamp))
        } else {
          partitions.push({ ...answer(-1, -1), errorCode: KafkaError.INVALID_REQUEST, oldStyleOffsets: [] })
        }
      } catch (e) {
        partitions.push({ ...answer(-1, -1), errorCode: errorCodeOf(e), oldStyleOffsets: [] })
      }
    }
    topics.push({ name, partitions })
  }
  return { throttleTimeMs: 0, topics }
}
