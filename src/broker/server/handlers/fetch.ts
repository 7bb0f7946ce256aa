/**
 * @module Fetch (key 1) v0-12: whole stored batches from the one holding the fetch offset, as
 * stored (the response links them, no copy), with Broker.fetch's long poll. No fetch sessions:
 * we answer session id 0, which tells clients to send full requests. read_committed (v4+) stops at
 * the last stable offset and lists the aborted transactions in the returned range; while only
 * unstable data is there, it keeps waiting until the transaction ends or the wait runs out.
 */
import { KafkaError, kafkaErrorFor } from '../../../protocol/error-codes.ts'
import { BatchOffsets, LOG_OVERHEAD } from '../../../protocol/records/batch-header.ts'
import {
  type FetchRequestV12,
  type FetchResponsePartitionDataV12,
  type FetchResponseV12,
} from '../../../protocol/messages/generated/fetch/v12.ts'
import { type ErrorCode } from '../../../util/errors.ts'
import { type FetchPartitionRequest, type FetchPartitionResult } from '../../types.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { big, isShutdown, toNumber } from '../wire.ts'

const READ_COMMITTED = 1
const EMPTY = Buffer.alloc(0)

/** The leading whole batches of `records` that start below `limit`. */
function cutAt(records: Buffer, limit: number): Buffer {
  let pos = 0
  while (pos + LOG_OVERHEAD <= records.length) {
    const base = Number(records.readBigInt64BE(pos + BatchOffsets.baseOffset))
    if (base >= limit) break
    pos += records.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
  }
  return pos >= records.length ? records : pos === 0 ? EMPTY : records.subarray(0, pos)
}

/** Offset one past the last record of the last batch in `records` (which is not empty). */
function endOffsetOf(records: Buffer): number {
  let pos = 0
  let end = 0
  while (pos + LOG_OVERHEAD <= records.length) {
    end = Number(records.readBigInt64BE(pos + BatchOffsets.baseOffset)) + records.readInt32BE(pos + BatchOffsets.lastOffsetDelta) + 1
    pos += records.readInt32BE(pos + BatchOffsets.batchLength) + LOG_OVERHEAD
  }
  return end
}

interface Shaped {
  result: FetchPartitionResult
  lastStableOffset: number
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null
}

export async function handleFetch(ctx: RequestContext, body: unknown): Promise<FetchResponseV12> {
  const req = body as Loose<FetchRequestV12>
  const { broker, transactions, clock } = ctx.server
  const readCommitted = (req.isolationLevel ?? 0) === READ_COMMITTED
  const requests: FetchPartitionRequest[] = []
  // The topic as the client named it, for the response (see topic-ids.ts).
  const asNamed = new Map<string, string>()
  for (const t of req.topics ?? []) {
    const named = t.topic ?? ''
    const topic = ctx.server.topicIds.resolve(named)
    if (topic !== named) asNamed.set(topic, named)
    for (const p of t.partitions ?? []) {
      const offset = toNumber(p.fetchOffset, 0)
      requests.push({ topic, partition: p.partition ?? -1, offset: Number.isSafeInteger(offset) ? offset : -1, maxBytes: Math.max(0, p.partitionMaxBytes ?? 0) })
    }
  }
  const minBytes = Math.max(0, req.minBytes ?? 0)
  const maxBytes = Math.max(0, req.maxBytes ?? 0x7fffffff)
  const deadline = clock.now() + Math.max(0, req.maxWaitMs ?? 0)
  const signal = ctx.connection.parkedSignal
  // The log reads go into pooled buffers, handed back once the response is on the socket.
  const lease = ctx.server.readBuffers.lease()
  ctx.afterWrite = () => lease.release()

  const shape = (r: FetchPartitionResult): Shaped => {
    if (r.error !== undefined || !readCommitted) return { result: r, lastStableOffset: r.highWatermark, abortedTransactions: readCommitted ? [] : null }
    const lso = transactions.lastStableOffset(r.topic, r.partition, r.highWatermark)
    const records = cutAt(r.records, lso)
    const request = requests.find((q) => q.topic === r.topic && q.partition === r.partition)
    const aborted = records.length === 0 || request === undefined ? [] : transactions.abortedTransactions(r.topic, r.partition, request.offset, endOffsetOf(records))
    return {
      result: records === r.records ? r : { ...r, records },
      lastStableOffset: lso,
      abortedTransactions: aborted.map((a) => ({ producerId: big(a.producerId), firstOffset: big(a.firstOffset) })),
    }
  }

  let shaped: Shaped[]
  for (;;) {
    const remaining = Math.max(0, deadline - clock.now())
    let results: FetchPartitionResult[]
    try {
      results = await broker.fetch(requests, { maxWaitMs: remaining, minBytes, maxBytes, signal, readBuffers: lease })
    } catch (e) {
      if (!isShutdown(e)) throw e
      // Shutting down or the client left: answer with what is there now.
      results = await broker.fetch(requests, { maxWaitMs: 0, minBytes: 0, maxBytes, readBuffers: lease })
    }
    shaped = results.map(shape)
    const bytes = shaped.reduce((n, s) => n + s.result.records.length, 0)
    const anyError = shaped.some((s) => s.result.error !== undefined)
    const waited = clock.now() >= deadline || signal.aborted
    // Only read_committed gets here with too few bytes early: data arrived past the stable offset.
    if (!readCommitted || bytes >= minBytes || anyError || waited) break
    await transactions.waitForAppend(requests, deadline - clock.now(), signal)
  }

  const byTopic = new Map<string, FetchResponsePartitionDataV12[]>()
  const order: string[] = []
  for (const s of shaped) {
    const r = s.result
    let list = byTopic.get(r.topic)
    if (list === undefined) {
      list = []
      byTopic.set(r.topic, list)
      order.push(r.topic)
    }
    list.push({
      partitionIndex: r.partition,
      errorCode: r.error === undefined ? KafkaError.NONE : kafkaErrorFor(r.error.code as ErrorCode),
      highWatermark: big(r.highWatermark),
      lastStableOffset: big(s.lastStableOffset),
      logStartOffset: big(r.logStartOffset),
      abortedTransactions: s.abortedTransactions,
      preferredReadReplica: -1,
      records: r.records,
    })
  }
  return {
    throttleTimeMs: 0,
    errorCode: KafkaError.NONE,
    sessionId: 0,
    responses: order.map((topic) => ({ topic: asNamed.get(topic) ?? topic, partitions: byTopic.get(topic) ?? [] })),
  }
}

