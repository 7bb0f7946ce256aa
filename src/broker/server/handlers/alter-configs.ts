/**
 * @module AlterConfigs (key 33) v0-2 for topics: sets the configs it names (null removes an
 * override); all are validated first.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { type AlterConfigsRequestV2, type AlterConfigsResponseV2 } from '../../../protocol/messages/generated/alter-configs/v2.ts'
import { parseTopicConfigs } from '../../topic-config.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { errorCodeOf, errorMessageOf } from '../wire.ts'

const TOPIC = 2

export async function handleAlterConfigs(ctx: RequestContext, body: unknown): Promise<AlterConfigsResponseV2> {
  const req = body as Loose<AlterConfigsRequestV2>
  const responses = []
  for (const r of req.resources ?? []) {
    const resourceType = r.resourceType ?? 0
    const resourceName = r.resourceName ?? ''
    if (resourceType !== TOPIC) {
      responses.push({ errorCode: KafkaError.INVALID_REQUEST, errorMessage: `only topic configs can be altered (resource type ${resourceType})`, resourceType, resourceName })
      continue
    }
    try {
      const changes: Record<string, string | null> = {}
      for (const c of r.configs ?? []) if (c.name !== undefined) changes[c.name] = c.value ?? null
      const set: Record<string, string> = {}
      for (const [k, v] of Object.entries(changes)) if (v !== null) set[k] = v
      parseTopicConfigs(set)
      ctx.server.broker.describeTopic(resourceName)
      if (!(req.validateOnly ?? false)) await ctx.server.broker.alterTopicConfigs(resourceName, changes)
      responses.push({ errorCode: KafkaError.NONE, errorMessage: null, resourceType, resourceName })
    } catch (e) {
      responses.push({ errorCode: errorCodeOf(e), errorMessage: errorMessageOf(e), resourceType, resourceName })
    }
  }
  return { throttleTimeMs: 0, responses }
}
