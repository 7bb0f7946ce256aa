/**
 * @module One consumer group's membership state (Kafka's GroupMetadata): members and their protocols,
 * the generation, the leader, the state machine, and the group's committed offsets. The protocol
 * handlers that drive it live in coordinator.ts; this file only holds state and its invariants.
 */
import { type TimerHandle } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type GroupState, type JoinGroupResult } from '../types.ts'

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0)

/** A parked request: a join waiting for the rebalance, a sync waiting for the leader. */
export interface Waiter<T> {
  resolve(value: T): void
  reject(err: unknown): void
}

export interface MemberProtocol {
  name: string
  metadata: Buffer
}

export interface MemberOptions {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: readonly MemberProtocol[]
}

export class Member {
  memberId: string
  readonly groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: readonly MemberProtocol[]
  assignment: Buffer = EMPTY_BUFFER
  joinWaiter: Waiter<JoinGroupResult> | undefined
  syncWaiter: Waiter<Buffer> | undefined
  /** Joined during the current rebalance and has not been part of a generation yet. */
  isNew = true
  /** The session expires when no heartbeat arrives before this time (clock ms). */
  sessionDeadline = 0
  sessionTimer: TimerHandle | undefined

  constructor(options: MemberOptions) {
    this.memberId = options.memberId
    this.groupInstanceId = options.groupInstanceId
    this.clientId = options.clientId
    this.clientHost = options.clientHost
    this.sessionTimeoutMs = options.sessionTimeoutMs
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs
    this.protocolType = options.protocolType
    this.protocols = options.protocols
  }

  get awaitingJoin(): boolean {
    return this.joinWaiter !== undefined
  }

  get awaitingSync(): boolean {
    return this.syncWaiter !== undefined
  }

  metadataFor(protocol: string | null): Buffer {
    if (protocol === null) return EMPTY_BUFFER
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BUFFER
  }

  /** Same protocols in the same order with the same metadata: a rejoin that changes nothing. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i] as MemberProtocol
      const b = this.protocols[i] as MemberProtocol
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false
    }
    return true
  }

  /** The first of the member's protocols that the whole group supports. */
  vote(candidates: ReadonlySet<string>): string | undefined {
    return this.protocols.find((p) => candidates.has(p.name))?.name
  }
}

/** A committed offset as kept in memory; `logOffset` orders writes of the same key. */
export interface CommittedOffsetEntry {
  topic: string
  partition: number
  offset: number
  metadata: string | null
  commitTimestamp: number
  logOffset: number
}

const TRANSITIONS: Record<GroupState, readonly GroupState[]> = {
  // Allowed previous states for each target state (Kafka's GroupState.validPreviousStates).
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export class Group {
  readonly groupId: string
  state: GroupState = 'Empty'
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, Member>()
  /** Member ids handed out with MEMBER_ID_REQUIRED, each expiring after the session timeout. */
  readonly pendingMembers = new Map<string, TimerHandle>()
  /** groupInstanceId -> current member id of static members. */
  readonly staticMembers = new Map<string, string>()
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>()
  /** The delayed join (rebalance timeout or initial delay) of the current PreparingRebalance. */
  joinTimer: TimerHandle | undefined
  /** The deadline for members to sync after a join completed. */
  syncTimer: TimerHandle | undefined
  /** Initial delayed join: whether it is running, when it started, and whether members joined since the last check. */
  inInitialDelay = false
  rebalanceStartedAt = 0
  joinedDuringDelay = false
  readonly offsets = new Map<string, CommittedOffsetEntry>()
  /** Tail of this group's offset writes, so they reach the log in request order. */
  writeTail: Promise<void> = Promise.resolve()

  constructor(groupId: string) {
    this.groupId = groupId
  }

  is(state: GroupState): boolean {
    return this.state === state
  }

  transitionTo(target: GroupState): void {
    if (!TRANSITIONS[target].includes(this.state)) {
      throw new TributaryError(ErrorCode.ILLEGAL_STATE, `group '${this.groupId}' cannot go from ${this.state} to ${target}`)
    }
    this.state = target
  }

  get isEmpty(): boolean {
    return this.members.size === 0
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    if (this.leaderId === null) this.leaderId = member.memberId
  }

  /** Removes a member; a removed leader is replaced, preferring a member that is rejoining. */
  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId)
    if (member === undefined) return undefined
    this.members.delete(memberId)
    this.pendingSync.delete(memberId)
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId)
    }
    if (this.leaderId === memberId) this.leaderId = this.#pickLeader()
    return member
  }

  /** Gives a static member a new member id (a restarted instance), keeping its place in the group. */
  replaceStaticMember(member: Member, newMemberId: string): void {
    const oldId = member.memberId
    this.members.delete(oldId)
    this.pendingSync.delete(oldId)
    member.memberId = newMemberId
    this.members.set(newMemberId, member)
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, newMemberId)
    if (this.leaderId === oldId) this.leaderId = newMemberId
  }

  /** True when a static member's instance id now belongs to another member id. */
  isStaticMemberFenced(groupInstanceId: string | null | undefined, memberId: string): boolean {
    if (groupInstanceId === null || groupInstanceId === undefined) return false
    const current = this.staticMembers.get(groupInstanceId)
    return current !== undefined && current !== memberId
  }

  /** Whether a member with these protocols may join (Kafka's supportsProtocols). */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.isEmpty) return protocolType.length > 0 && protocolNames.length > 0
    if (this.protocolType !== protocolType) return false
    const candidates = this.candidateProtocols()
    return protocolNames.some((name) => candidates.has(name))
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    let candidates: Set<string> | undefined
    for (const member of this.members.values()) {
      const names = new Set(member.protocols.map((p) => p.name))
      if (candidates === undefined) candidates = names
      else for (const name of candidates) if (!names.has(name)) candidates.delete(name)
    }
    return candidates ?? new Set()
  }

  /** The candidate most members prefer; ties go to the leader's preference order. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>()
    for (const member of this.members.values()) {
      const choice = member.vote(candidates)
      if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1)
    }
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId)
    const order = (leader ?? this.members.values().next().value)?.protocols.map((p) => p.name) ?? []
    let best: string | undefined
    let bestVotes = 0
    for (const name of order) {
      const n = votes.get(name) ?? 0
      if (n > bestVotes) {
        best = name
        bestVotes = n
      }
    }
    if (best === undefined) {
      throw new TributaryError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `members of group '${this.groupId}' share no protocol`)
    }
    return best
  }

  hasAllMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false
    for (const member of this.members.values()) if (!member.awaitingJoin) return false
    return true
  }

  /** The longest rebalance timeout of the members: how long a rebalance waits for rejoins. */
  maxRebalanceTimeoutMs(): number {
    let max = 0
    for (const member of this.members.values()) max = Math.max(max, member.rebalanceTimeoutMs)
    return max
  }

  #pickLeader(): string | null {
    for (const member of this.members.values()) if (member.awaitingJoin) return member.memberId
    const first = this.members.keys().next()
    return first.done === true ? null : first.value
  }
}
