/**
 * @module DescribeConfigs (key 32) v0-4 for topics (resource type 2); the broker resource (type 4)
 * is described as having no settable configs. The broker keeps effective topic configs only, so
 * every value is reported as the topic's (source TOPIC_CONFIG).
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import {
  type DescribeConfigsRequestV4,
  type DescribeConfigsResponseV4,
  type DescribeConfigsResultV4,
} from '../../../protocol/messages/generated/describe-configs/v4.ts'
import { type Loose, type RequestContext } from '../context.ts'
import { errorCodeOf, errorMessageOf } from '../wire.ts'

const TOPIC = 2

const BROKER = 4

const TOPIC_CONFIG_SOURCE = 1

/** Kafka's ConfigType STRING: values are reported as text. */
const STRING_TYPE = 2

export function handleDescribeConfigs(ctx: RequestContext, body: unknown): DescribeConfigsResponseV4 {
  const req = body as Loose<DescribeConfigsRequestV4>
  const results = (req.resources ?? []).map((r): DescribeConfigsResultV4 & { configs: { isDefault: boolean }[] } => {
    const resourceType = r.resourceType ?? 0
    const resourceName = r.resourceName ?? ''
    const base = { errorCode: KafkaError.NONE, errorMessage: null, resourceType, resourceName, configs: [] }
    if (resourceType === BROKER) {
      return resourceName === String(ctx.server.nodeId) || resourceName === ''
        ? base
        : { ...base, errorCode: KafkaError.INVALID_REQUEST, errorMessage: `unknown broker '${resourceName}'` }
    }
    if (resourceType !== TOPIC) return { ...base, errorCode: KafkaError.INVALID_REQUEST, errorMessage: `unsupported resource type ${resourceType}` }
    try {
      const all = ctx.server.broker.describeTopic(resourceName).configs
      const keys = r.configurationKeys === null || r.configurationKeys === undefined ? Object.keys(all).sort() : r.configurationKeys.filter((k) => k in all)
      const configs = keys.map((name) => ({
        name,
        value: all[name] ?? null,
        readOnly: false,
        isDefault: false,
        configSource: TOPIC_CONFIG_SOURCE,
        isSensitive: false,
        synonyms: [],
        configType: STRING_TYPE,
        documentation: null,
      }))
      return { ...base, configs }
    } catch (e) {
      return { ...base, errorCode: errorCodeOf(e), errorMessage: errorMessageOf(e) }
    }
  })
  return { throttleTimeMs: 0, results }
}
