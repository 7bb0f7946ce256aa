/**
 * @module What the embedded and the Kafka consumer do alike around group membership: the
 * membership callbacks (revoke with a commit first, add with starting positions, rejoin), the
 * assignor list, and waiting on a promise until a signal aborts.
 */
import { ErrorCode, TributaryError, isTributaryError } from '../../util/errors.ts'
import { type Assignor } from '../assignors/assignor.ts'
import { assignorByName } from '../assignors/registry.ts'
import { type ConsumerOptions, type TopicPartition, type TopicPartitionOffset } from '../types.ts'
import { type MembershipOptions } from './group-membership-core.ts'
import { type CommitEntry, type PartitionPositions, partitionKey } from './partition-positions.ts'

export type ConsumerMode = 'none' | 'assign' | 'subscribe'

/** What a group membership needs from the consumer that owns it. */
export interface MembershipHost {
  /** Partitions the consumer holds now. */
  owned(): TopicPartition[]
  /** Takes partitions away (commit, listener, forget positions). */
  revoke(partitions: TopicPartition[]): Promise<void>
  /** Applies the assignment of a new generation (the host works out what was added and lost). */
  assigned(partitions: TopicPartition[]): Promise<void>
  /** The coordinator asked for a rejoin (seen by a heartbeat). */
  rejoinRequested(): void
}

/** Whether someone iterates the batches, how to wake the wait in progress, a background failure. */
export class IterationState {
  iterating = false
  #wake: AbortController | undefined
  #backgroundError: unknown

  /** A wake-up controller for the fetch or idle wait about to start. */
  arm(): AbortController {
    const wake = new AbortController()
    this.#wake = wake
    return wake
  }

  disarm(wake: AbortController): void {
    if (this.#wake === wake) this.#wake = undefined
  }

  /** Aborts the fetch or idle wait in progress so the iterator sees a change at once. */
  wakeUp(): void {
    this.#wake?.abort()
  }

  /** Kept for the iterator: a rejoin that failed while nobody was iterating. */
  fail(err: unknown): void {
    this.#backgroundError = err
  }

  throwBackgroundError(): void {
    const err = this.#backgroundError
    if (err === undefined) return
    this.#backgroundError = undefined
    throw err
  }
}

/** The parts of a consumer the membership callbacks act on. */
export interface RebalanceParts {
  readonly positions: PartitionPositions
  readonly options: ConsumerOptions
  readonly iteration: IterationState
  commit(entries: CommitEntry[]): Promise<void>
  membership(): { requestRejoin(): void; ensureActive(): Promise<void> } | undefined
}

/** Group errors that mean "a rebalance got in the way", not a bug. */
export function isRebalanceError(err: unknown): boolean {
  return (
    isTributaryError(err, ErrorCode.REBALANCE_IN_PROGRESS) ||
    isTributaryError(err, ErrorCode.ILLEGAL_GENERATION) ||
    isTributaryError(err, ErrorCode.UNKNOWN_MEMBER_ID)
  )
}

/** Commits the positions of `partitions` (auto-commit), calls the listener, then forgets them. */
export async function revokePartitions(parts: RebalanceParts, partitions: TopicPartition[]): Promise<void> {
  if (parts.options.autoCommit === true) {
    await parts.commit(parts.positions.changedPositions(partitions)).catch((err: unknown) => {
      if (!isRebalanceError(err)) throw err
    })
  }
  await parts.options.rebalanceListener?.onPartitionsRevoked?.(partitions)
  parts.positions.remove(partitions)
}

export function membershipHost(parts: RebalanceParts): MembershipHost {
  return {
    owned: () => parts.positions.assignment(),
    revoke: (partitions) => revokePartitions(parts, partitions),
    assigned: async (partitions) => {
      const now = new Set(partitions.map((tp) => partitionKey(tp.topic, tp.partition)))
      const lost = parts.positions.assignment().filter((tp) => !now.has(partitionKey(tp.topic, tp.partition)))
      if (lost.length > 0) {
        // Cooperative protocol: give up what moved, then rejoin so it can be handed over.
        await revokePartitions(parts, lost)
        parts.membership()?.requestRejoin()
      }
      const added = partitions.filter((tp) => !parts.positions.has(tp))
      await parts.positions.add(added)
      await parts.options.rebalanceListener?.onPartitionsAssigned?.(added)
      parts.iteration.wakeUp()
    },
    rejoinRequested: () => {
      if (parts.iteration.iterating) {
        parts.iteration.wakeUp()
        return
      }
      parts.membership()
        ?.ensureActive()
        .catch((err: unknown) => {
          parts.iteration.fail(err)
        })
    },
  }
}

export function requireGroup(options: ConsumerOptions, what: string): string {
  const groupId = options.groupId
  if (groupId === undefined || groupId === '') throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `${what} needs a groupId`)
  return groupId
}

/** Checks a subscribe() call (a group, no manual assignment, topic names); the group id. */
export function checkSubscribe(options: ConsumerOptions, mode: ConsumerMode, topics: readonly string[]): string {
  const groupId = requireGroup(options, 'subscribe()')
  if (mode === 'assign') throw new TributaryError(ErrorCode.ILLEGAL_STATE, 'consumer uses assign(); it cannot also subscribe()')
  if (topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === '')) {
    throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'subscribe() needs one or more topic names')
  }
  return groupId
}

export function checkAssign(mode: ConsumerMode): void {
  if (mode === 'subscribe') throw new TributaryError(ErrorCode.ILLEGAL_STATE, 'consumer uses subscribe(); it cannot also assign()')
}

/** The membership settings of the consumer options, with Kafka's defaults. */
export function membershipOptions(options: ConsumerOptions, groupId: string): MembershipOptions {
  return {
    groupId,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 45_000,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 300_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3000,
    assignors: resolveAssignors(options),
  }
}

/** What commit() commits: the offsets given, else every known position. */
export function commitEntries(offsets: readonly TopicPartitionOffset[] | undefined, positions: PartitionPositions): CommitEntry[] {
  return offsets?.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? null })) ?? positions.positions()
}

export function resolveAssignors(options: ConsumerOptions): Assignor[] {
  const names = options.assignors ?? ['range', 'roundrobin']
  if (names.length === 0) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, 'assignors must not be empty')
  return names.map((n) => {
    const a = assignorByName(n)
    if (a === undefined) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `unknown assignor "${n}"`)
    return a
  })
}

/** Waits for `p`, or stops waiting (without cancelling `p`) when the signal aborts. */
export async function raceAbort(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return p
  await raceValue(p, signal)
}

/** `p`'s value, or undefined once the signal aborts first. */
export async function raceValue<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return undefined
  let onAbort: (() => void) | undefined
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([p, aborted])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}
