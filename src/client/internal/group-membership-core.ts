/**
 * @module A consumer's membership in its group (classic protocol), whatever carries the requests:
 * revoke before joining (eager protocol), JoinGroup, the leader's client-side assignment with our
 * assignors, SyncGroup, heartbeats on the clock, and rejoining when the coordinator starts a
 * rebalance or the leader sees its topics change. Subscription and assignment bytes use Kafka's
 * consumer protocol, so embedded and wire consumers can share a group. The embedded broker and the
 * Kafka wire supply the requests through `MembershipCalls`.
 */
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../protocol/consumer-protocol.ts'
import { type Clock, type TimerHandle } from '../../util/clock.ts'
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import { type Assignor, type AssignorMember } from '../assignors/assignor.ts'
import { assignorByName } from '../assignors/registry.ts'
import { type MembershipHost } from './consumer-core.ts'

const RETRY_BACKOFF_MS = 100

export interface MembershipOptions {
  groupId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  heartbeatIntervalMs: number
  assignors: readonly Assignor[]
}

export interface JoinResult {
  generationId: number
  protocolName: string
  leader: string
  memberId: string
  /** Non-empty only for the leader. */
  members: readonly { memberId: string; groupInstanceId?: string | null; metadata: Buffer | null }[]
}

/** The group requests, as the embedded broker or the Kafka wire sends them. */
export interface MembershipCalls<Left extends void | Promise<void>> {
  join(memberId: string, protocols: { name: string; metadata: Buffer }[]): Promise<JoinResult>
  /** The member's assignment bytes. */
  sync(generationId: number, memberId: string, protocolName: string, assignments: { memberId: string; assignment: Buffer }[]): Promise<Buffer>
  /** Undefined when the heartbeat was answered at once. */
  heartbeat(memberId: string, generationId: number): Promise<void> | undefined
  leave(memberId: string): Left
  /** Partition counts of the topics that exist. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>
  /** Further errors after which the member joins again (beyond the rebalance errors). */
  retriable?(err: unknown): boolean
}

export class GroupMembershipCore<Left extends void | Promise<void>> {
  memberId = ''
  generationId = -1
  /** Eager protocol unless every configured assignor is cooperative (Kafka's rule). */
  readonly cooperative: boolean
  readonly #calls: MembershipCalls<Left>
  readonly #clock: Clock
  readonly #options: MembershipOptions
  readonly #host: MembershipHost
  readonly #signal: AbortSignal
  #topics: string[] = []
  #needsJoin = false
  #joining: Promise<void> | undefined
  #heartbeat: TimerHandle | undefined
  /** Set on the leader: the topics it assigned and their partition counts then. */
  #leaderView: { topics: string[]; counts: Map<string, number> } | undefined
  /** Between the start of a join and the end of its sync no heartbeat is sent. */
  #inJoinPhase = false
  #stopped = false

  constructor(calls: MembershipCalls<Left>, clock: Clock, options: MembershipOptions, host: MembershipHost, signal: AbortSignal) {
    this.#calls = calls
    this.#clock = clock
    this.#options = options
    this.#host = host
    this.#signal = signal
    this.cooperative = options.assignors.length > 0 && options.assignors.every((a) => a.cooperative)
  }

  get needsJoin(): boolean {
    return this.#needsJoin && !this.#stopped
  }

  get active(): boolean {
    return this.memberId !== '' && this.generationId >= 0
  }

  setTopics(topics: readonly string[]): void {
    this.#topics = [...new Set(topics)].sort()
    this.#needsJoin = true
  }

  requestRejoin(): void {
    this.#needsJoin = true
  }

  /** Joins (again) until the member is part of a stable generation or the membership stops. */
  async ensureActive(): Promise<void> {
    while (this.needsJoin && !this.#signal.aborted) {
      this.#joining ??= this.#join().finally(() => {
        this.#joining = undefined
      })
      await this.#joining
    }
  }

  /** Resolves once no join is running. */
  async settled(): Promise<void> {
    while (this.#joining !== undefined) await this.#joining.catch(() => undefined)
  }

  /** Stops heartbeating and leaves the group (nothing to do when the member never joined). */
  leave(): Left | undefined {
    this.#stopped = true
    this.#heartbeat?.cancel()
    this.#heartbeat = undefined
    const memberId = this.memberId
    if (memberId === '') return undefined
    this.memberId = ''
    this.generationId = -1
    return this.#calls.leave(memberId)
  }

  async #join(): Promise<void> {
    this.#needsJoin = false
    if (!this.cooperative) {
      const owned = this.#host.owned()
      if (owned.length > 0) await this.#host.revoke(owned)
    }
    this.#inJoinPhase = true
    this.#heartbeat?.cancel()
    this.#heartbeat = undefined
    const metadata = encodeSubscription({ topics: this.#topics, userData: null, ownedPartitions: this.#host.owned(), generationId: this.generationId })
    try {
      const join = await this.#calls.join(
        this.memberId,
        this.#options.assignors.map((a) => ({ name: a.name, metadata })),
      )
      this.memberId = join.memberId
      this.generationId = join.generationId
      this.#leaderView = undefined
      const assignments = join.leader === join.memberId ? await this.#assign(join.protocolName, join.members) : []
      const bytes = await this.#calls.sync(join.generationId, join.memberId, join.protocolName, assignments)
      this.#inJoinPhase = false
      this.#scheduleHeartbeat()
      await this.#host.assigned(bytes.length === 0 ? [] : decodeAssignment(bytes).partitions)
    } catch (err) {
      this.#inJoinPhase = false
      if (this.#signal.aborted) return
      if (!this.#retriable(err)) throw err
      this.#needsJoin = true
      await this.#clock.sleep(RETRY_BACKOFF_MS, this.#signal).catch(() => undefined)
    }
  }

  /** Rebalance-related failures end in another join; anything else is the caller's error. */
  #retriable(err: unknown): boolean {
    if (isTributaryError(err, ErrorCode.UNKNOWN_MEMBER_ID)) {
      this.memberId = ''
      this.generationId = -1
      return true
    }
    if (isTributaryError(err, ErrorCode.MEMBER_ID_REQUIRED)) {
      const id = err.details['memberId']
      if (typeof id === 'string') this.memberId = id
      return true
    }
    if (this.#calls.retriable?.(err) === true) return true
    return isTributaryError(err, ErrorCode.REBALANCE_IN_PROGRESS) || isTributaryError(err, ErrorCode.ILLEGAL_GENERATION)
  }

  /** The leader's part: runs the agreed assignor over every member's subscription. */
  async #assign(protocol: string, members: JoinResult['members']): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = assignorByName(protocol)
    if (assignor === undefined) throw new TributaryError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `the group chose assignor "${protocol}", which this client does not have`)
    const subscriptions: AssignorMember[] = members.map((m) => {
      const sub = decodeSubscription(m.metadata ?? Buffer.alloc(0))
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, topics: sub.topics, ownedPartitions: sub.ownedPartitions, generationId: sub.generationId }
    })
    const topics = [...new Set(subscriptions.flatMap((s) => s.topics))]
    const counts = await this.#calls.partitionCounts(topics)
    this.#leaderView = { topics, counts }
    const result = assignor.assign(subscriptions, counts)
    return subscriptions.map((s) => ({ memberId: s.memberId, assignment: encodeAssignment({ partitions: result.get(s.memberId) ?? [], userData: null }) }))
  }

  #scheduleHeartbeat(): void {
    if (this.#stopped || this.#heartbeat !== undefined) return
    this.#heartbeat = this.#clock.setTimeout(() => {
      this.#heartbeat = undefined
      void this.#beat()
    }, this.#options.heartbeatIntervalMs)
  }

  /**
   * Heartbeats go on while a rejoin is pending (the coordinator keeps the session alive and answers
   * REBALANCE_IN_PROGRESS), and stop only from the JoinGroup to the end of the SyncGroup.
   */
  async #beat(): Promise<void> {
    if (this.#stopped || this.#inJoinPhase) return
    try {
      const answer = this.#calls.heartbeat(this.memberId, this.generationId)
      if (answer !== undefined) await answer
      // The leader also watches its topics: new partitions or topics need a new assignment.
      const view = this.#leaderView
      if (view !== undefined && !this.#needsJoin) {
        const now = await this.#calls.partitionCounts(view.topics)
        if (now.size !== view.counts.size || [...now].some(([t, n]) => view.counts.get(t) !== n)) this.#needsJoin = true
      }
    } catch (err) {
      // Anything else (a connection lost, the broker restarting or closing) is retried at the next interval.
      if (this.#retriable(err) && !isTributaryError(err, ErrorCode.NETWORK_ERROR)) this.#needsJoin = true
    }
    if (this.#inJoinPhase || this.#stopped) return
    this.#scheduleHeartbeat()
    if (this.needsJoin) this.#host.rejoinRequested()
  }
}
