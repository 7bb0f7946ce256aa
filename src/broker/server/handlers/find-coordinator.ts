/**
 * @module FindCoordinator (key 10) v0-4: this node coordinates every group (key type 0) and every
 * transactional id (key type 1). v4 batches keys (KIP-699); older versions ask for one.
 */
import { KafkaError } from '../../../protocol/error-codes.ts'
import {
  type FindCoordinatorRequestV4,
  type FindCoordinatorResponseCoordinatorV4,
  type FindCoordinatorResponseV4,
} from '../../../protocol/messages/generated/find-coordinator/v4.ts'
import { type Loose, type RequestContext } from '../context.ts'

const GROUP = 0
const TRANSACTION = 1

export function handleFindCoordinator(ctx: RequestContext, body: unknown): FindCoordinatorResponseV4 & Omit<FindCoordinatorResponseCoordinatorV4, 'key'> {
  const req = body as Loose<FindCoordinatorRequestV4> & { key?: string }
  const { nodeId, advertised } = ctx.server
  const keyType = req.keyType ?? GROUP
  const known = keyType === GROUP || keyType === TRANSACTION
  const answer = (key: string): FindCoordinatorResponseCoordinatorV4 =>
    known && key !== ''
      ? { key, nodeId, host: advertised.host, port: advertised.port, errorCode: KafkaError.NONE, errorMessage: null }
      : { key, nodeId: -1, host: '', port: -1, errorCode: KafkaError.INVALID_REQUEST, errorMessage: known ? 'empty key' : `unknown key type ${keyType}` }
  const keys = ctx.apiVersion >= 4 ? (req.coordinatorKeys ?? []) : [req.key ?? '']
  const coordinators = keys.map(answer)
  const first = coordinators[0] ?? answer('')
  // v0-3 carry the single answer at the top level; v4 the list.
  return {
    throttleTimeMs: 0,
    coordinators,
    errorCode: first.errorCode,
    errorMessage: first.errorMessage,
    nodeId: first.nodeId,
    host: first.host,
    port: first.port,
  }
}
