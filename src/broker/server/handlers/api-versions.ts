/**
 * @module ApiVersions (key 18) v0-3: the versions we serve, every one from min 0 (librdkafka needs
 * that).
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import { supportedApiVersions } from '../../../protocol/messages/index.ts'
import { type ApiVersionsRequestV3, type ApiVersionsResponseV3 } from '../../../protocol/messages/generated/api-versions/v3.ts'
import { type Loose, type RequestContext } from '../context.ts'

/** Kafka's rule for client software names and versions (KIP-511). */
const SOFTWARE_FIELD = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export function handleApiVersions(ctx: RequestContext, body: unknown): ApiVersionsResponseV3 {
  const req = body as Loose<ApiVersionsRequestV3>
  const apiKeys = supportedApiVersions()
  if (ctx.apiVersion >= 3 && !(SOFTWARE_FIELD.test(req.clientSoftwareName ?? '') && SOFTWARE_FIELD.test(req.clientSoftwareVersion ?? ''))) {
    return { errorCode: KafkaError.INVALID_REQUEST, apiKeys, throttleTimeMs: 0 }
  }
  return { errorCode: KafkaError.NONE, apiKeys, throttleTimeMs: 0 }
}
