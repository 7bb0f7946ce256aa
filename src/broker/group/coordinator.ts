/**
 * @module The group coordinator: Kafka's classic consumer-group protocol (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup) driving each Group's state machine, and committed offsets kept durably in
 * the `__consumer_offsets` topic through the OffsetsStore. This broker is every group's coordinator.
 * Assignment is done by the client leader; the coordinator only relays the leader's assignments.
 */
import { randomUUID } from 'node:crypto'
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type Counter, type MetricFamily, type MetricsRegistry } from '../../metrics/registry.ts'
import {
  type CommitOffsetsRequest,
  type CommittedOffset,
  type GroupCoordinatorApi,
  type GroupDescription,
  type GroupListing,
  type GroupPartitionLag,
  type JoinGroupRequest,
  type JoinGroupResult,
  type OffsetCommitEntry,
  type SyncGroupRequest,
  type TopicPartition,
} from '../types.ts'
import { EMPTY_BUFFER, Group, Member, type Waiter } from './group.ts'
import { GroupOffsets, type OffsetsWriter, type PartitionLookup, applyOffsetWrite } from './group-offsets.ts'
import { type LoadedOffset, MAX_GROUP_ID_BYTES, type OffsetWrite } from './offsets-codec.ts'

export interface CoordinatorConfig {
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
  initialRebalanceDelayMs: number
  /** Kafka's offset.metadata.max.bytes. */
  offsetMetadataMaxBytes: number
}

export const DEFAULT_COORDINATOR_CONFIG: CoordinatorConfig = {
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 30 * 60 * 1000,
  initialRebalanceDelayMs: 0,
  offsetMetadataMaxBytes: 4096,
}

export interface CoordinatorDeps {
  clock: Clock
  store: OffsetsWriter
  partitions: PartitionLookup
  metrics: MetricsRegistry
  config: CoordinatorConfig
}

function err(code: ErrorCode, message: string, retriable = false): TributaryError {
  return new TributaryError(code, message, { retriable })
}

function abortError(signal: AbortSignal): TributaryError {
  return new TributaryError(ErrorCode.ABORTED, 'the request was aborted', { cause: signal.reason })
}

function checkGroupId(groupId: string): void {
  if (typeof groupId !== 'string' || groupId.length === 0 || Buffer.byteLength(groupId, 'utf8') > MAX_GROUP_ID_BYTES) {
    throw err(ErrorCode.INVALID_GROUP_ID, `group id must be a non-empty string of at most ${MAX_GROUP_ID_BYTES} bytes`)
  }
}

export class GroupCoordinator implements GroupCoordinatorApi {
  readonly #clock: Clock
  readonly #offsets: GroupOffsets
  readonly #config: CoordinatorConfig
  readonly #groups = new Map<string, Group>()
  readonly #rebalances: MetricFamily<Counter>
  readonly #commits: MetricFamily<Counter>
  readonly #unregister: (() => void)[] = []
  #closed = false

  constructor(deps: CoordinatorDeps) {
    this.#clock = deps.clock
    this.#offsets = new GroupOffsets(deps.store, deps.partitions, deps.config.offsetMetadataMaxBytes)
    this.#config = deps.config
    const m = deps.metrics
    this.#rebalances = m.counterFamily('tributary_group_rebalances_total', 'Rebalances started per group', ['group'])
    this.#commits = m.counterFamily('tributary_group_offset_commits_total', 'Partition offsets committed per group', ['group'])
    this.#unregister.push(
      m.registerCollector('tributary_group_members', 'Members per group', 'gauge', ['group'], () =>
        [...this.#groups.values()].map((g) => [[g.groupId], g.members.size] as const),
      ),
      m.registerCollector('tributary_group_lag', 'Records between the committed offset and the log end', 'gauge', ['group', 'topic', 'partition'], () =>
        this.#collectLag(),
      ),
    )
  }

  /** Rebuilds committed offsets from the offsets topic, in log order. */
  restore(records: Iterable<LoadedOffset>): void {
    for (const r of records) {
      let group = this.#groups.get(r.groupId)
      if (group === undefined) {
        group = new Group(r.groupId)
        this.#groups.set(r.groupId, group)
      }
      applyOffsetWrite(group, r, r.logOffset)
    }
    for (const group of [...this.#groups.values()]) this.#maybeDrop(group)
  }

  // ---- membership ----

  async joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    this.#checkOpen()
    checkGroupId(req.groupId)
    const { minSessionTimeoutMs: min, maxSessionTimeoutMs: max } = this.#config
    if (!Number.isInteger(req.sessionTimeoutMs) || req.sessionTimeoutMs < min || req.sessionTimeoutMs > max) {
      throw err(ErrorCode.INVALID_SESSION_TIMEOUT, `session timeout ${req.sessionTimeoutMs} ms is outside [${min}, ${max}]`)
    }
    if (req.protocolType === '' || req.protocols.length === 0) {
      throw err(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'a join needs a protocol type and at least one protocol')
    }
    if (req.signal?.aborted === true) throw abortError(req.signal)
    let group = this.#groups.get(req.groupId)
    if (group?.is('Dead') === true) throw err(ErrorCode.UNKNOWN_MEMBER_ID, `group '${req.groupId}' is being deleted`, true)
    if (req.memberId !== '' && group === undefined) throw err(ErrorCode.UNKNOWN_MEMBER_ID, `unknown member '${req.memberId}' of group '${req.groupId}'`)
    if (group !== undefined && !group.supportsProtocols(req.protocolType, req.protocols.map((p) => p.name))) {
      throw err(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `protocols of the join do not match those of group '${req.groupId}'`)
    }
    if (group === undefined) {
      group = new Group(req.groupId)
      this.#groups.set(req.groupId, group)
    }
    return req.memberId === '' ? this.#joinUnknownMember(group, req) : this.#joinKnownMember(group, req)
  }

  async syncGroup(req: SyncGroupRequest): Promise<Buffer> {
    this.#checkOpen()
    checkGroupId(req.groupId)
    if (req.signal?.aborted === true) throw abortError(req.signal)
    const { group, member } = this.#currentMember(req.groupId, req.memberId, req.groupInstanceId, req.generationId)
    switch (group.state) {
      case 'PreparingRebalance':
        throw err(ErrorCode.REBALANCE_IN_PROGRESS, `group '${group.groupId}' is rebalancing`, true)
      case 'Stable':
        this.#markSynced(group, member.memberId)
        this.#touch(group, member)
        return member.assignment
      case 'CompletingRebalance':
        break
      default:
        throw err(ErrorCode.UNKNOWN_MEMBER_ID, `unknown member '${req.memberId}' of group '${req.groupId}'`)
    }
    const assignments = new Map<string, Buffer>()
    if (group.isLeader(member.memberId)) {
      for (const a of req.assignments) {
        if (typeof a.memberId !== 'string' || !Buffer.isBuffer(a.assignment)) throw err(ErrorCode.INVALID_ARGUMENT, 'malformed assignment entry')
        assignments.set(a.memberId, a.assignment)
      }
    }
    const promise = this.#park<Buffer>(req.signal, (waiter) => {
      const previous = member.syncWaiter
      member.syncWaiter = waiter
      previous?.reject(err(ErrorCode.REBALANCE_IN_PROGRESS, 'superseded by a newer SyncGroup', true))
    }, (waiter) => {
      if (member.syncWaiter !== waiter) return
      member.syncWaiter = undefined
      this.#touch(group, member)
    })
    this.#markSynced(group, member.memberId)
    if (group.isLeader(member.memberId)) {
      // Members the leader left out get an empty assignment, as in Kafka.
      for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY_BUFFER
      group.transitionTo('Stable')
      for (const m of group.members.values()) {
        const waiter = m.syncWaiter
        if (waiter === undefined) continue
        m.syncWaiter = undefined
        this.#touch(group, m)
        waiter.resolve(m.assignment)
      }
    }
    return promise
  }

  heartbeat(groupId: string, memberId: string, generationId: number): void {
    this.#checkOpen()
    checkGroupId(groupId)
    const { group, member } = this.#currentMember(groupId, memberId, undefined, generationId)
    if (group.is('Empty')) throw err(ErrorCode.UNKNOWN_MEMBER_ID, `unknown member '${memberId}' of group '${groupId}'`)
    this.#touch(group, member)
    if (group.is('PreparingRebalance')) throw err(ErrorCode.REBALANCE_IN_PROGRESS, `group '${groupId}' is rebalancing: rejoin`, true)
  }

  leaveGroup(groupId: string, memberIds: readonly string[]): void {
    this.#checkOpen()
    checkGroupId(groupId)
    const group = this.#groups.get(groupId)
    // Check every id first so that a bad one changes nothing.
    for (const id of memberIds) {
      if (group === undefined || group.is('Dead') || (!group.members.has(id) && !group.pendingMembers.has(id))) {
        throw err(ErrorCode.UNKNOWN_MEMBER_ID, `unknown member '${id}' of group '${groupId}'`)
      }
    }
    if (group === undefined) return
    for (const id of memberIds) {
      const pending = group.pendingMembers.get(id)
      if (pending !== undefined) {
        pending.cancel()
        group.pendingMembers.delete(id)
        this.#tryCompleteJoin(group)
        continue
      }
      const member = group.members.get(id)
      if (member !== undefined) this.#removeMember(group, member, 'left the group')
    }
  }

  // ---- offsets ----

  async commitOffsets(req: CommitOffsetsRequest): Promise<void> {
    this.#checkOpen()
    checkGroupId(req.groupId)
    this.#offsets.validate(req.offsets)
    let group = this.#groups.get(req.groupId)
    if (group === undefined) {
      if (req.generationId >= 0) throw err(ErrorCode.ILLEGAL_GENERATION, `group '${req.groupId}' has no generation ${req.generationId}`)
    } else if (group.is('Dead')) {
      throw err(ErrorCode.UNKNOWN_MEMBER_ID, `group '${req.groupId}' is being deleted`, true)
    } else if (!(req.generationId < 0 && group.is('Empty'))) {
      // Inside the group protocol: only current members of the current generation commit.
      if (group.is('CompletingRebalance')) throw err(ErrorCode.REBALANCE_IN_PROGRESS, `group '${req.groupId}' is rebalancing`, true)
      const member = group.members.get(req.memberId)
      if (member === undefined) throw err(ErrorCode.UNKNOWN_MEMBER_ID, `unknown member '${req.memberId}' of group '${req.groupId}'`)
      if (req.generationId !== group.generationId) {
        throw err(ErrorCode.ILLEGAL_GENERATION, `generation ${req.generationId} is not the current generation ${group.generationId} of group '${req.groupId}'`)
      }
      this.#touch(group, member)
    }
    if (req.offsets.length === 0) return
    if (group === undefined) {
      group = new Group(req.groupId)
      this.#groups.set(req.groupId, group)
    }
    const now = this.#clock.now()
    const writes: OffsetWrite[] = req.offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      value: { offset: o.offset, metadata: o.metadata ?? null, commitTimestamp: now },
    }))
    await this.#offsets.write(group, () => writes)
    this.#commits.labels(group.groupId).inc(writes.length)
  }

  /**
   * Offsets of a committed transaction, checked when TxnOffsetCommit staged them: written whatever
   * the group's generation is by now, as Kafka applies them with the commit marker. Entries for
   * partitions deleted since are dropped.
   */
  async commitTransactionalOffsets(groupId: string, offsets: readonly OffsetCommitEntry[]): Promise<void> {
    this.#checkOpen()
    checkGroupId(groupId)
    const valid = offsets.filter((o) => {
      try {
        this.#offsets.validate([o])
        return true
      } catch {
        return false
      }
    })
    if (valid.length === 0) return
    let group = this.#groups.get(groupId)
    if (group?.is('Dead') === true) throw err(ErrorCode.UNKNOWN_MEMBER_ID, `group '${groupId}' is being deleted`, true)
    if (group === undefined) {
      group = new Group(groupId)
      this.#groups.set(groupId, group)
    }
    const now = this.#clock.now()
    await this.#offsets.write(group, () => valid.map((o) => ({ topic: o.topic, partition: o.partition, value: { offset: o.offset, metadata: o.metadata ?? null, commitTimestamp: now } })))
  }

  fetchOffsets(groupId: string, partitions?: readonly TopicPartition[]): CommittedOffset[] {
    this.#checkOpen()
    checkGroupId(groupId)
    return this.#offsets.fetch(this.#groups.get(groupId), partitions)
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.#checkOpen()
    checkGroupId(groupId)
    const group = this.#groups.get(groupId)
    if (group === undefined || group.is('Dead')) throw err(ErrorCode.UNKNOWN_GROUP, `group '${groupId}' does not exist`)
    if (!group.is('Empty') || !group.isEmpty) throw err(ErrorCode.GROUP_NOT_EMPTY, `group '${groupId}' has active members`)
    // Dead first, so that no join or commit slips in while the tombstones are written.
    group.transitionTo('Dead')
    try {
      await this.#offsets.write(group, () => this.#offsets.tombstones(group))
    } catch (e) {
      group.state = 'Empty' // nothing was deleted: the group is back as it was
      throw e
    }
    for (const timer of group.pendingMembers.values()) timer.cancel()
    if (this.#groups.get(groupId) === group) this.#groups.delete(groupId)
    this.#forgetMetrics(groupId)
  }

  /** Tombstones every group's offsets of a deleted topic (Kafka drops them too). */
  async onTopicDeleted(topic: string): Promise<void> {
    const pending: Promise<void>[] = []
    for (const group of this.#groups.values()) {
      if (group.is('Dead')) continue
      pending.push(this.#offsets.write(group, () => this.#offsets.tombstones(group, topic)))
    }
    await Promise.all(pending)
  }

  // ---- inspection ----

  listGroups(): GroupListing[] {
    this.#checkOpen()
    const out: GroupListing[] = []
    for (const g of this.#groups.values()) {
      if (!g.is('Dead')) out.push({ groupId: g.groupId, state: g.state, protocolType: g.protocolType ?? '' })
    }
    return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
  }

  describeGroup(groupId: string): GroupDescription {
    this.#checkOpen()
    checkGroupId(groupId)
    const g = this.#groups.get(groupId)
    if (g === undefined) return { groupId, state: 'Dead', protocolType: '', protocolName: '', generationId: -1, members: [] }
    // As Kafka: metadata and assignments only for a Stable group, when they are consistent.
    const stable = g.is('Stable')
    return {
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocolName: stable ? (g.protocolName ?? '') : '',
      generationId: g.generationId,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(g.protocolName) : EMPTY_BUFFER,
        assignment: stable ? m.assignment : EMPTY_BUFFER,
      })),
    }
  }

  /**
   * Per partition of every topic the group has committed to: the committed offset, the log end
   * (high watermark) and the lag; without a commit the lag counts from the log start.
   */
  groupLag(groupId: string): GroupPartitionLag[] {
    this.#checkOpen()
    checkGroupId(groupId)
    const group = this.#groups.get(groupId)
    if (group === undefined || group.is('Dead')) throw err(ErrorCode.UNKNOWN_GROUP, `group '${groupId}' does not exist`)
    return this.#offsets.lag(group)
  }

  /** Drops groups that are empty and have no offsets left (Kafka's periodic group cleanup). */
  runMaintenance(): void {
    for (const group of [...this.#groups.values()]) this.#maybeDrop(group)
  }

  /** Fails every parked request with CLOSED, stops the timers and waits for offset writes in flight. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const closed = (): TributaryError => err(ErrorCode.CLOSED, 'the broker is shutting down')
    const tails: Promise<void>[] = []
    for (const group of this.#groups.values()) {
      group.joinTimer?.cancel()
      group.syncTimer?.cancel()
      for (const t of group.pendingMembers.values()) t.cancel()
      for (const m of group.members.values()) {
        m.sessionTimer?.cancel()
        m.sessionTimer = undefined
        const join = m.joinWaiter
        const sync = m.syncWaiter
        m.joinWaiter = undefined
        m.syncWaiter = undefined
        join?.reject(closed())
        sync?.reject(closed())
      }
      tails.push(group.writeTail)
    }
    for (const off of this.#unregister) off()
    await Promise.all(tails)
  }

  // ---- join internals ----

  #joinUnknownMember(group: Group, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const newId = `${req.clientId}-${randomUUID()}`
    const instanceId = req.groupInstanceId ?? null
    if (instanceId !== null) {
      const existingId = group.staticMembers.get(instanceId)
      const existing = existingId === undefined ? undefined : group.members.get(existingId)
      if (existing !== undefined) return this.#replaceStaticMember(group, existing, newId, req)
      return this.#addMemberAndRebalance(group, newId, req)
    }
    if (req.requireKnownMemberId === true) {
      // The client must come back with this id; until then it holds up a rebalance like a member.
      const timer = this.#clock.setTimeout(() => {
        if (group.pendingMembers.delete(newId)) this.#tryCompleteJoin(group)
      }, req.sessionTimeoutMs)
      group.pendingMembers.set(newId, timer)
      throw new TributaryError(ErrorCode.MEMBER_ID_REQUIRED, `rejoin group '${group.groupId}' with the member id ${newId}`, {
        retriable: true,
        details: { memberId: newId },
      })
    }
    return this.#addMemberAndRebalance(group, newId, req)
  }

  #joinKnownMember(group: Group, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const pending = group.pendingMembers.get(req.memberId)
    if (pending !== undefined) {
      pending.cancel()
      group.pendingMembers.delete(req.memberId)
      return this.#addMemberAndRebalance(group, req.memberId, req)
    }
    if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) {
      throw err(ErrorCode.FENCED_INSTANCE_ID, `instance '${req.groupInstanceId}' now belongs to another member`)
    }
    const member = group.members.get(req.memberId)
    if (member === undefined) throw err(ErrorCode.UNKNOWN_MEMBER_ID, `unknown member '${req.memberId}' of group '${group.groupId}'`)
    switch (group.state) {
      case 'PreparingRebalance':
        return this.#updateMemberAndRebalance(group, member, req)
      case 'CompletingRebalance':
        // A repeated join (lost response): answer with the current generation.
        if (member.matches(req.protocols)) {
          this.#touch(group, member)
          return Promise.resolve(this.#joinResult(group, member, group.leaderId ?? ''))
        }
        return this.#updateMemberAndRebalance(group, member, req)
      case 'Stable':
        // The leader rejoining means it wants a new assignment (e.g. its subscription changed).
        if (group.isLeader(member.memberId) || !member.matches(req.protocols)) return this.#updateMemberAndRebalance(group, member, req)
        this.#touch(group, member)
        return Promise.resolve(this.#joinResult(group, member, group.leaderId ?? ''))
      default:
        throw err(ErrorCode.UNKNOWN_MEMBER_ID, `unknown member '${req.memberId}' of group '${group.groupId}'`)
    }
  }

  #addMemberAndRebalance(group: Group, memberId: string, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const member = new Member({
      memberId,
      groupInstanceId: req.groupInstanceId ?? null,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
    })
    const promise = this.#parkJoin(group, member, req.signal)
    group.add(member)
    group.joinedDuringDelay = true
    this.#maybePrepareRebalance(group)
    return promise
  }

  #updateMemberAndRebalance(group: Group, member: Member, req: JoinGroupRequest): Promise<JoinGroupResult> {
    this.#updateMember(member, req)
    const promise = this.#parkJoin(group, member, req.signal)
    this.#maybePrepareRebalance(group)
    return promise
  }

  #replaceStaticMember(group: Group, member: Member, newId: string, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const currentLeader = group.leaderId ?? ''
    const fenced = (): TributaryError => err(ErrorCode.FENCED_INSTANCE_ID, `instance '${member.groupInstanceId}' rejoined with a new member id`)
    const oldJoin = member.joinWaiter
    const oldSync = member.syncWaiter
    member.joinWaiter = undefined
    member.syncWaiter = undefined
    group.replaceStaticMember(member, newId)
    oldJoin?.reject(fenced())
    oldSync?.reject(fenced())
    const unchanged = member.matches(req.protocols)
    this.#updateMember(member, req)
    if (group.is('Stable') && unchanged) {
      // A restarted static member with the same subscription keeps its assignment: no rebalance.
      // The old leader id is returned so that a static leader does not compute a new assignment.
      this.#touch(group, member)
      return Promise.resolve(this.#joinResult(group, member, currentLeader, false))
    }
    const promise = this.#parkJoin(group, member, req.signal)
    this.#maybePrepareRebalance(group)
    return promise
  }

  #updateMember(member: Member, req: JoinGroupRequest): void {
    member.protocols = req.protocols.map((p) => ({ name: p.name, metadata: p.metadata }))
    member.sessionTimeoutMs = req.sessionTimeoutMs
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs
    member.clientId = req.clientId
    member.clientHost = req.clientHost
  }

  /** Parks the member's join until the rebalance completes. */
  #parkJoin(group: Group, member: Member, signal: AbortSignal | undefined): Promise<JoinGroupResult> {
    return this.#park<JoinGroupResult>(signal, (waiter) => {
      const previous = member.joinWaiter
      member.joinWaiter = waiter
      previous?.reject(err(ErrorCode.REBALANCE_IN_PROGRESS, 'superseded by a newer JoinGroup', true))
    }, (waiter) => {
      if (member.joinWaiter !== waiter) return
      member.joinWaiter = undefined
      // A member that was never part of a generation just goes; an old one must rejoin in time.
      if (member.isNew && group.members.get(member.memberId) === member) this.#removeMember(group, member, 'join aborted')
      else this.#touch(group, member)
    })
  }

  #joinResult(group: Group, member: Member, leader: string, withMembers = true): JoinGroupResult {
    const isLeader = withMembers && leader === member.memberId
    return {
      generationId: group.generationId,
      protocolType: group.protocolType ?? '',
      protocolName: group.protocolName ?? '',
      leader,
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(group.protocolName) }))
        : [],
    }
  }

  // ---- rebalance ----

  #maybePrepareRebalance(group: Group): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.#prepareRebalance(group)
    else if (group.is('PreparingRebalance')) this.#tryCompleteJoin(group)
  }

  #prepareRebalance(group: Group): void {
    if (group.is('CompletingRebalance')) {
      // Syncs parked for the old generation can never complete now.
      for (const m of group.members.values()) {
        m.assignment = EMPTY_BUFFER
        const waiter = m.syncWaiter
        if (waiter === undefined) continue
        m.syncWaiter = undefined
        this.#touch(group, m)
        waiter.reject(err(ErrorCode.REBALANCE_IN_PROGRESS, `group '${group.groupId}' is rebalancing`, true))
      }
    }
    group.syncTimer?.cancel()
    group.syncTimer = undefined
    group.pendingSync.clear()
    group.joinTimer?.cancel()
    const initial = group.is('Empty')
    group.transitionTo('PreparingRebalance')
    this.#rebalances.labels(group.groupId).inc()
    const rebalanceTimeout = group.maxRebalanceTimeoutMs()
    const delay = this.#config.initialRebalanceDelayMs
    if (initial && delay > 0) {
      // Kafka's InitialDelayedJoin: let more members arrive before the first generation,
      // extending while they keep coming, never past the rebalance timeout.
      group.inInitialDelay = true
      group.rebalanceStartedAt = this.#clock.now()
      group.joinedDuringDelay = false
      group.joinTimer = this.#clock.setTimeout(() => this.#onInitialDelay(group, delay, rebalanceTimeout), Math.min(delay, rebalanceTimeout))
      return
    }
    group.joinTimer = this.#clock.setTimeout(() => {
      group.joinTimer = undefined
      if (group.is('PreparingRebalance')) this.#completeJoin(group)
    }, rebalanceTimeout)
    this.#tryCompleteJoin(group)
  }

  #onInitialDelay(group: Group, delay: number, rebalanceTimeout: number): void {
    group.joinTimer = undefined
    if (!group.is('PreparingRebalance')) return
    const remaining = group.rebalanceStartedAt + rebalanceTimeout - this.#clock.now()
    if (group.joinedDuringDelay && remaining > 0) {
      group.joinedDuringDelay = false
      group.joinTimer = this.#clock.setTimeout(() => this.#onInitialDelay(group, delay, rebalanceTimeout), Math.min(delay, remaining))
      return
    }
    this.#completeJoin(group)
  }

  #tryCompleteJoin(group: Group): void {
    // During the initial delay the timer alone decides, as in Kafka.
    if (!group.is('PreparingRebalance') || group.inInitialDelay) return
    if (group.hasAllMembersJoined()) this.#completeJoin(group)
  }

  /** Ends PreparingRebalance: drops members that did not rejoin and starts the next generation. */
  #completeJoin(group: Group): void {
    group.joinTimer?.cancel()
    group.joinTimer = undefined
    group.inInitialDelay = false
    for (const m of [...group.members.values()]) {
      if (!m.awaitingJoin) this.#dropMember(group, m)
    }
    group.generationId++
    if (group.isEmpty) {
      group.protocolName = null
      group.leaderId = null
      // The group stays, Empty, until maintenance finds it without offsets (as Kafka's cleanup).
      group.transitionTo('Empty')
      return
    }
    group.protocolName = group.selectProtocol()
    group.transitionTo('CompletingRebalance')
    const leader = group.leaderId ?? ''
    for (const m of group.members.values()) {
      const waiter = m.joinWaiter
      m.joinWaiter = undefined
      m.isNew = false
      group.pendingSync.add(m.memberId)
      this.#touch(group, m)
      waiter?.resolve(this.#joinResult(group, m, leader))
    }
    // Members that never sync (a leader that died after joining) are removed after the rebalance timeout.
    group.syncTimer = this.#clock.setTimeout(() => this.#onSyncTimeout(group), group.maxRebalanceTimeoutMs())
  }

  #onSyncTimeout(group: Group): void {
    group.syncTimer = undefined
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSync.size === 0) return
    for (const id of [...group.pendingSync]) {
      const m = group.members.get(id)
      if (m !== undefined) this.#dropMember(group, m)
    }
    this.#prepareRebalance(group)
  }

  #markSynced(group: Group, memberId: string): void {
    if (group.pendingSync.delete(memberId) && group.pendingSync.size === 0) {
      group.syncTimer?.cancel()
      group.syncTimer = undefined
    }
  }

  // ---- members and sessions ----

  /** Removes a member and moves the group on (rebalance, or completion of the current one). */
  #removeMember(group: Group, member: Member, _reason: string): void {
    this.#dropMember(group, member)
    if (group.is('Stable') || group.is('CompletingRebalance')) this.#prepareRebalance(group)
    else if (group.is('PreparingRebalance')) this.#tryCompleteJoin(group)
  }

  /** Removes a member without touching the group state; its parked requests fail. */
  #dropMember(group: Group, member: Member): void {
    member.sessionTimer?.cancel()
    member.sessionTimer = undefined
    const join = member.joinWaiter
    const sync = member.syncWaiter
    member.joinWaiter = undefined
    member.syncWaiter = undefined
    group.remove(member.memberId)
    const gone = (): TributaryError => err(ErrorCode.UNKNOWN_MEMBER_ID, `member '${member.memberId}' was removed from group '${group.groupId}'`)
    join?.reject(gone())
    sync?.reject(gone())
  }

  /** Restarts the member's session: it expires unless something arrives within the session timeout. */
  #touch(group: Group, member: Member): void {
    member.sessionDeadline = this.#clock.now() + member.sessionTimeoutMs
    if (member.sessionTimer === undefined && !this.#closed) this.#armSession(group, member, member.sessionTimeoutMs)
  }

  #armSession(group: Group, member: Member, delay: number): void {
    member.sessionTimer = this.#clock.setTimeout(() => {
      member.sessionTimer = undefined
      if (group.members.get(member.memberId) !== member) return
      // A parked member is alive by definition; its session restarts when the wait ends.
      if (member.awaitingJoin || member.awaitingSync) return
      const remaining = member.sessionDeadline - this.#clock.now()
      if (remaining > 0) this.#armSession(group, member, remaining)
      else this.#removeMember(group, member, 'session timeout')
    }, delay)
  }

  #currentMember(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null | undefined,
    generationId: number,
  ): { group: Group; member: Member } {
    const group = this.#groups.get(groupId)
    if (group !== undefined && group.isStaticMemberFenced(groupInstanceId, memberId)) {
      throw err(ErrorCode.FENCED_INSTANCE_ID, `instance '${groupInstanceId}' now belongs to another member`)
    }
    const member = group?.members.get(memberId)
    if (group === undefined || group.is('Dead') || member === undefined) {
      throw err(ErrorCode.UNKNOWN_MEMBER_ID, `unknown member '${memberId}' of group '${groupId}'`)
    }
    if (generationId !== group.generationId) {
      throw err(ErrorCode.ILLEGAL_GENERATION, `generation ${generationId} is not the current generation ${group.generationId} of group '${groupId}'`)
    }
    return { group, member }
  }

  #park<T>(signal: AbortSignal | undefined, install: (w: Waiter<T>) => void, onAbort: (w: Waiter<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false
      const abort = (): void => {
        if (settled) return
        settled = true
        onAbort(waiter)
        reject(abortError(signal as AbortSignal))
      }
      const waiter: Waiter<T> = {
        resolve: (value) => {
          if (settled) return
          settled = true
          signal?.removeEventListener('abort', abort)
          resolve(value)
        },
        reject: (e) => {
          if (settled) return
          settled = true
          signal?.removeEventListener('abort', abort)
          reject(e)
        },
      }
      signal?.addEventListener('abort', abort, { once: true })
      install(waiter)
    })
  }

  // ---- offsets internals ----

  #maybeDrop(group: Group): void {
    if (!group.is('Empty') || !group.isEmpty || group.pendingMembers.size > 0 || group.offsets.size > 0) return
    if (this.#groups.get(group.groupId) !== group) return
    this.#groups.delete(group.groupId)
    this.#forgetMetrics(group.groupId)
  }

  #forgetMetrics(groupId: string): void {
    this.#rebalances.remove(groupId)
    this.#commits.remove(groupId)
  }

  *#collectLag(): Iterable<readonly [readonly string[], number]> {
    for (const group of this.#groups.values()) {
      if (group.is('Dead')) continue
      for (const l of this.#offsets.lag(group)) yield [[group.groupId, l.topic, String(l.partition)], l.lag]
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw err(ErrorCode.CLOSED, 'the broker is closed')
  }
}
