/**
 * @module A Kafka consumer's membership in its group (classic protocol) over the wire: JoinGroup
 * (with the MEMBER_ID_REQUIRED round trip), SyncGroup, Heartbeat and LeaveGroup for the shared
 * membership state machine (internal/group-membership-core.ts). Written here rather than using the
 * library's group support so that an eager rebalance revokes (and commits) BEFORE the JoinGroup is
 * sent, and the leader knows which assignor the group chose.
 */
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import { type MembershipHost } from '../internal/consumer-core.ts'
import { GroupMembershipCore, type JoinResult, type MembershipCalls, type MembershipOptions } from '../internal/group-membership-core.ts'
import { fromKafka } from './errors.ts'
import { type Wire } from './wire.ts'

interface JoinGroupResponse {
  generationId: number
  protocolName: string | null
  leader: string
  memberId: string | null
  members: { memberId: string; groupInstanceId?: string | null; metadata: Buffer | null }[]
}

export type WireGroupMembership = GroupMembershipCore<Promise<void>>

export function wireGroupMembership(wire: Wire, clock: Clock, options: MembershipOptions, host: MembershipHost, signal: AbortSignal): WireGroupMembership {
  return new GroupMembershipCore(new WireMembershipCalls(wire, options, signal), clock, options, host, signal)
}

/** The group requests over the coordinator connection. */
class WireMembershipCalls implements MembershipCalls<Promise<void>> {
  readonly #wire: Wire
  readonly #options: MembershipOptions
  readonly #signal: AbortSignal
  /** A JoinGroup or SyncGroup was left unanswered: the connection is busy with it until closed. */
  #abandoned = false
  /** The coordinator the last JoinGroup went to: its SyncGroup goes there too. */
  #joinedAt: Awaited<ReturnType<Wire['coordinator']>> | undefined

  constructor(wire: Wire, options: MembershipOptions, signal: AbortSignal) {
    this.#wire = wire
    this.#options = options
    this.#signal = signal
  }

  async join(memberId: string, protocols: { name: string; metadata: Buffer }[]): Promise<JoinResult> {
    const { groupId } = this.#options
    const coordinator = await this.#coordinator()
    this.#joinedAt = coordinator
    let join: JoinGroupResponse
    try {
      join = await this.#abortable(this.#wire.request<JoinGroupResponse>(
        'JoinGroup',
        coordinator,
        groupId,
        this.#options.sessionTimeoutMs,
        this.#options.rebalanceTimeoutMs,
        memberId,
        null,
        'consumer',
        protocols,
        null,
      ))
    } catch (err) {
      throw fromKafka(err, `joining group "${groupId}"`)
    }
    return { generationId: join.generationId, protocolName: join.protocolName ?? '', leader: join.leader, memberId: join.memberId ?? memberId, members: join.members }
  }

  async sync(generationId: number, memberId: string, protocolName: string, assignments: { memberId: string; assignment: Buffer }[]): Promise<Buffer> {
    const { groupId } = this.#options
    const coordinator = this.#joinedAt ?? (await this.#coordinator())
    try {
      const sync = await this.#abortable(this.#wire.request<{ assignment: Buffer }>('SyncGroup', coordinator, groupId, generationId, memberId, null, 'consumer', protocolName, assignments))
      return sync.assignment
    } catch (err) {
      throw fromKafka(err, `syncing group "${groupId}"`)
    }
  }

  async heartbeat(memberId: string, generationId: number): Promise<void> {
    try {
      await this.#wire.request('Heartbeat', await this.#coordinator(), this.#options.groupId, generationId, memberId, null)
    } catch (err) {
      throw fromKafka(err, `heartbeat of group "${this.#options.groupId}"`)
    }
  }

  /** A member already gone, or a coordinator out of reach, is not an error. */
  async leave(memberId: string): Promise<void> {
    // A LeaveGroup would queue behind the held JoinGroup; closing the connection ends that join instead.
    if (this.#abandoned) return
    try {
      await this.#wire.request('LeaveGroup', await this.#coordinator(), this.#options.groupId, [{ memberId }])
    } catch (err) {
      const e = fromKafka(err, `leaving group "${this.#options.groupId}"`)
      // Gone already, or the coordinator is unreachable: either way the session ends on its own.
      const gone = e.code === ErrorCode.UNKNOWN_MEMBER_ID || e.code === ErrorCode.UNKNOWN_GROUP || e.code === ErrorCode.NETWORK_ERROR || e.code === ErrorCode.TIMEOUT
      if (!gone) throw e
    }
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    if (topics.length === 0) return counts
    for (const [name, layout] of await this.#wire.refresh(topics)) if (layout !== undefined) counts.set(name, layout.leaders.length)
    return counts
  }

  retriable(err: unknown): boolean {
    if (!isTributaryError(err, ErrorCode.NETWORK_ERROR)) return false
    // NOT_COORDINATOR and friends: look the coordinator up again.
    this.#wire.forgetCoordinator(this.#options.groupId)
    return true
  }

  async #coordinator(): ReturnType<Wire['coordinator']> {
    return this.#wire.coordinator(this.#options.groupId)
  }

  /**
   * The coordinator may hold a JoinGroup (or SyncGroup) up to the rebalance timeout; a consumer
   * closing meanwhile stops waiting (the request is left to fail with its connection).
   */
  #abortable<T>(request: Promise<T>, signal: AbortSignal = this.#signal): Promise<T> {
    request.catch(() => undefined)
    if (signal.aborted) return Promise.reject(new TributaryError(ErrorCode.ABORTED, 'group membership stopped'))
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        this.#abandoned = true
        reject(new TributaryError(ErrorCode.ABORTED, 'group membership stopped'))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      request.then(
        (v) => {
          signal.removeEventListener('abort', onAbort)
          resolve(v)
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(err instanceof Error ? err : new Error(String(err)))
        },
      )
    })
  }
}
