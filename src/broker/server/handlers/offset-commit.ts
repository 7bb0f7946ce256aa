/**
 * @module OffsetCommit (key 8) v0-8. Checked per partition (unknown topic, bad offset, metadata too
 * large are that partition's error) and the rest committed together; a group-level refusal
 * (unknown member, old generation, rebalance) is every partition's error.
 */
import { ErrorCode } from '../../../util/errors.ts'
import { KafkaError } from '../../../protocol/error-codes.ts'
import {
  type OffsetCommitRequestV8,
  type OffsetCommitResponseTopicV8,
  type OffsetCommitResponseV8,
} from '../../../protocol/messages/generated/offset-commit/v8.ts'
import { type OffsetCommitEntry } from '../../types.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { errorCodeOf, isCode, isShutdown, toNumber } from '../wire.ts'

/** Errors that belong to one partition rather than to the whole commit. */
const PARTITION_ERRORS = [ErrorCode.UNKNOWN_TOPIC, ErrorCode.UNKNOWN_PARTITION, ErrorCode.INVALID_ARGUMENT, ErrorCode.OFFSET_METADATA_TOO_LARGE]

function commitErrorCode(e: unknown): number {
  if (isShutdown(e)) return KafkaError.COORDINATOR_NOT_AVAILABLE
  if (isCode(e, ErrorCode.INVALID_ARGUMENT)) return KafkaError.INVALID_COMMIT_OFFSET_SIZE
  return errorCodeOf(e)
}

export async function handleOffsetCommit(ctx: RequestContext, body: unknown): Promise<OffsetCommitResponseV8> {
  const req = body as Loose<OffsetCommitRequestV8>
  const groups = ctx.server.broker.groups
  const entries: { topic: string; index: number; entry: OffsetCommitEntry }[] = []
  const topics: OffsetCommitResponseTopicV8[] = []
  for (const t of req.topics ?? []) {
    const name = t.name ?? ''
    topics.push({ name, partitions: [] })
    for (const p of t.partitions ?? []) {
      const partition = p.partitionIndex ?? -1
      entries.push({ topic: name, index: topics.length - 1, entry: { topic: name, partition, offset: toNumber(p.committedOffset, -1), metadata: p.committedMetadata ?? null } })
    }
  }
  const base = { groupId: req.groupId ?? '', generationId: req.generationIdOrMemberEpoch ?? -1, memberId: req.memberId ?? '' }
  const answer = (codes: number[]): OffsetCommitResponseV8 => {
    entries.forEach((e, i) => topics[e.index]?.partitions.push({ partitionIndex: e.entry.partition, errorCode: codes[i] ?? KafkaError.NONE }))
    return { throttleTimeMs: 0, topics }
  }
  try {
    await groups.commitOffsets({ ...base, offsets: entries.map((e) => e.entry) })
    return answer(entries.map(() => KafkaError.NONE))
  } catch (e) {
    if (!isCode(e, ...PARTITION_ERRORS)) return answer(entries.map(() => commitErrorCode(e)))
  }
  // Some partition is at fault: find which, and commit the others.
  const codes: number[] = entries.map(() => KafkaError.NONE)
  for (const [i, e] of entries.entries()) {
    try {
      await groups.commitOffsets({ ...base, offsets: [e.entry] })
    } catch (err) {
      codes[i] = commitErrorCode(err)
    }
  }
  return answer(codes)
}
