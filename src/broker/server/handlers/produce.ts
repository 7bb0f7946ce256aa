/**
 * @module Produce (key 0) v0-11. Each partition's bytes go to `Broker.produce` as sent (RecordBatch
 * v2 only; the log validates framing, CRC, size and the control bit; the producer state checks
 * sequences and transactions) and are stored without re-encoding. The appends of one request
 * start in order, synchronously, so pipelined requests keep their order. acks=0 gets no response;
 * a failure then closes the connection, which is how Kafka tells such a producer.
 */
import { ErrorCode, TributaryError } from '../../../util/errors.ts'
import { KafkaError } from '../../../protocol/error-codes.ts'
import { BatchOffsets } from '../../../protocol/records/batch-header.ts'
import {
  type ProduceRequestV9,
  type ProduceResponsePartitionProduceResponseV9,
  type ProduceResponseV9,
} from '../../../protocol/messages/generated/produce/v9.ts'
import { type ProduceResult } from '../../types.ts'
import { type Loose, NO_RESPONSE, type RequestContext } from '../context.ts'
import { big, errorCodeOf, errorMessageOf } from '../wire.ts'

type PartitionResponse = ProduceResponsePartitionProduceResponseV9

function partitionError(index: number, errorCode: number, errorMessage: string | null): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage }
}

function success(index: number, r: ProduceResult): PartitionResponse {
  return {
    index,
    errorCode: KafkaError.NONE,
    baseOffset: big(r.baseOffset),
    logAppendTimeMs: big(r.logAppendTime),
    logStartOffset: big(r.logStartOffset),
    recordErrors: [],
    errorMessage: null,
  }
}

/** Old message formats (magic 0 and 1) are not stored: say so rather than call them corrupt. */
function oldFormatError(records: Buffer): PartitionResponse['errorCode'] | undefined {
  if (records.length > BatchOffsets.magic) {
    const magic = records.readInt8(BatchOffsets.magic)
    if (magic === 0 || magic === 1) return KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT
  }
  return undefined
}

export function handleProduce(ctx: RequestContext, body: unknown): Promise<unknown> {
  const req = body as Loose<ProduceRequestV9>
  const acks = req.acks ?? -1
  const broker = ctx.server.broker
  const topics = req.topicData ?? []
  const validAcks = acks === -1 || acks === 0 || acks === 1
  // Start every append now, in request order; only then wait.
  const pending = topics.map((t) => ({
    name: t.name ?? '',
    partitions: (t.partitionData ?? []).map((p): PartitionResponse | Promise<PartitionResponse> => {
      const index = p.index ?? -1
      if (!validAcks) return partitionError(index, KafkaError.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, not ${acks}`)
      const records = p.records
      if (records === null || records === undefined || records.length === 0) return partitionError(index, KafkaError.CORRUPT_MESSAGE, 'no records')
      const old = oldFormatError(records)
      if (old !== undefined) return partitionError(index, old, 'only RecordBatch v2 (magic 2) is supported')
      return broker.produce(t.name ?? '', index, records, { acks: acks as -1 | 0 | 1 }).then(
        (r) => success(index, r),
        (e: unknown) => partitionError(index, errorCodeOf(e), errorMessageOf(e)),
      )
    }),
  }))
  return (async () => {
    const responses = []
    for (const t of pending) responses.push({ name: t.name, partitionResponses: await Promise.all(t.partitions) })
    if (acks === 0) {
      const failed = responses.flatMap((t) => t.partitionResponses).find((p) => p.errorCode !== KafkaError.NONE)
      if (failed !== undefined) throw new TributaryError(ErrorCode.INVALID_RECORD, `acks=0 produce failed: ${failed.errorMessage ?? failed.errorCode}`)
      return NO_RESPONSE
    }
    const response: ProduceResponseV9 = { responses, throttleTimeMs: 0 }
    return response
  })()
}
