/**
 * @module A consumer's membership in its group through the embedded broker's group coordinator:
 * the requests of the shared membership state machine (internal/group-membership-core.ts) as
 * direct calls on the broker.
 */
import { type Broker } from '../../broker/broker.ts'
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, isTributaryError } from '../../util/errors.ts'
import { type MembershipHost } from '../internal/consumer-core.ts'
import { GroupMembershipCore, type MembershipOptions as CoreOptions } from '../internal/group-membership-core.ts'

export interface MembershipOptions extends CoreOptions {
  clientId: string
}

export type GroupMembership = GroupMembershipCore<void>

export function groupMembership(broker: Broker, clock: Clock, options: MembershipOptions, host: MembershipHost, signal: AbortSignal): GroupMembership {
  const groups = broker.groups
  const { groupId } = options
  return new GroupMembershipCore<void>(
    {
      join: async (memberId, protocols) =>
        groups.joinGroup({
          groupId,
          memberId,
          groupInstanceId: null,
          clientId: options.clientId,
          clientHost: 'embedded',
          sessionTimeoutMs: options.sessionTimeoutMs,
          rebalanceTimeoutMs: options.rebalanceTimeoutMs,
          protocolType: 'consumer',
          protocols,
          signal,
        }),
      sync: async (generationId, memberId, _protocolName, assignments) =>
        groups.syncGroup({ groupId, generationId, memberId, groupInstanceId: null, assignments, signal }),
      heartbeat: (memberId, generationId) => {
        groups.heartbeat(groupId, memberId, generationId)
        return undefined
      },
      leave: (memberId) => {
        try {
          groups.leaveGroup(groupId, [memberId])
        } catch (err) {
          // Already gone (session expired, group deleted): nothing left to leave.
          if (!isTributaryError(err, ErrorCode.UNKNOWN_MEMBER_ID) && !isTributaryError(err, ErrorCode.UNKNOWN_GROUP)) throw err
        }
      },
      partitionCounts: async (topics) => {
        const counts = new Map<string, number>()
        for (const topic of topics) {
          if (await broker.hasTopic(topic)) counts.set(topic, (await broker.describeTopic(topic)).partitions.length)
        }
        return counts
      },
    },
    clock,
    options,
    host,
    signal,
  )
}
