/** @module DeleteTopics (key 20) v0-6: by name, or (v6) by topic id. */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type DeleteTopicsRequestV6, type DeleteTopicsResponseV6 } from '../../../protocol/messages/generated/delete-topics/v6.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { ZERO_UUID, errorCodeOf, errorMessageOf } from '../wire.ts'

export async function handleDeleteTopics(ctx: RequestContext, body: unknown): Promise<DeleteTopicsResponseV6> {
  const req = body as Loose<DeleteTopicsRequestV6> & { topicNames?: string[] }
  const broker = ctx.server.broker
  const wanted = ctx.apiVersion >= 6
    ? (req.topics ?? []).map((t) => ({ name: t.name ?? null, topicId: t.topicId ?? ZERO_UUID }))
    : (req.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }))
  const responses = []
  for (const w of wanted) {
    let name = w.name
    let topicId = w.topicId
    try {
      if (name === null) {
        name = ctx.server.topicIds.nameOf(w.topicId) ?? null
        if (name === null) {
          responses.push({ name: null, topicId, errorCode: KafkaError.UNKNOWN_TOPIC_ID, errorMessage: `no topic with id ${w.topicId}` })
          continue
        }
      } else if (broker.hasTopic(name)) {
        topicId = broker.describeTopic(name).id
      }
      await broker.deleteTopic(name)
      responses.push({ name, topicId, errorCode: KafkaError.NONE, errorMessage: null })
    } catch (e) {
      responses.push({ name, topicId, errorCode: errorCodeOf(e), errorMessage: errorMessageOf(e) })
    }
  }
  return { throttleTimeMs: 0, responses }
}
