/**
 * @module A consumer's per-partition state: positions, pause flags and the last committed offset,
 * kept the same way by the embedded and the Kafka consumer. The I/O that differs (committed
 * offsets, offset look-ups) comes in through `PositionsIo`.
 */
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { type ConsumerOptions, type SeekTarget, type TopicPartition, type TopicPartitionOffset } from '../types.ts'

export interface PartitionState {
  topic: string
  partition: number
  /** Next offset to read; -1 while unknown (nothing committed and autoOffsetReset 'none'). */
  position: number
  paused: boolean
  /** Last position committed by this consumer, to skip unchanged auto-commits. */
  committed: number
}

/** An offset to commit, as both commit paths take it. */
export interface CommitEntry {
  topic: string
  partition: number
  offset: number
  metadata: string | null
}

export type OffsetTarget = Exclude<SeekTarget, number>

/** The look-ups that the embedded broker and the Kafka wire answer differently. */
export interface PositionsIo {
  fetchCommitted(groupId: string, partitions: readonly TopicPartition[]): Promise<readonly { topic: string; partition: number; offset: number }[]>
  listOffset(tp: TopicPartition, target: OffsetTarget): Promise<number>
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export class PartitionPositions {
  readonly #states = new Map<string, PartitionState>()
  readonly #io: PositionsIo
  readonly #options: ConsumerOptions

  constructor(io: PositionsIo, options: ConsumerOptions) {
    this.#io = io
    this.#options = options
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.#states.get(partitionKey(topic, partition))
  }

  /** By a key from `partitionKey` (a fetch loop that already made one). */
  byKey(key: string): PartitionState | undefined {
    return this.#states.get(key)
  }

  has(tp: TopicPartition): boolean {
    return this.#states.has(partitionKey(tp.topic, tp.partition))
  }

  values(): IterableIterator<PartitionState> {
    return this.#states.values()
  }

  /** The state of an assigned partition; an ILLEGAL_STATE error otherwise. */
  state(tp: TopicPartition): PartitionState {
    const state = this.#states.get(partitionKey(tp.topic, tp.partition))
    if (state === undefined) throw new TributaryError(ErrorCode.ILLEGAL_STATE, `${tp.topic}/${tp.partition} is not assigned to this consumer`)
    return state
  }

  assignment(): TopicPartition[] {
    return [...this.#states.values()].map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  /** Replaces a manual assignment: drops what is no longer wanted, adds the new partitions. */
  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    const wanted = new Set(partitions.map((tp) => partitionKey(tp.topic, tp.partition)))
    for (const k of [...this.#states.keys()]) if (!wanted.has(k)) this.#states.delete(k)
    await this.add(partitions.filter((tp) => !this.has(tp)))
  }

  /** Adds partitions with their starting positions: committed offset, else autoOffsetReset. */
  async add(partitions: readonly TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return
    const groupId = this.#options.groupId
    const committed = groupId === undefined ? [] : await this.#io.fetchCommitted(groupId, partitions)
    const byKey = new Map(committed.map((c) => [partitionKey(c.topic, c.partition), c.offset]))
    const policy = this.#options.autoOffsetReset ?? 'latest'
    for (const tp of partitions) {
      let position = byKey.get(partitionKey(tp.topic, tp.partition)) ?? -1
      if (position < 0 && policy !== 'none') position = await this.#io.listOffset(tp, policy)
      this.#states.set(partitionKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition, position, paused: false, committed: -1 })
    }
  }

  remove(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#states.delete(partitionKey(tp.topic, tp.partition))
  }

  clear(): void {
    this.#states.clear()
  }

  async seek(tp: TopicPartition, target: SeekTarget): Promise<void> {
    const state = this.state(tp)
    let offset: number
    if (typeof target === 'number') {
      if (!Number.isInteger(target) || target < 0) throw new TributaryError(ErrorCode.INVALID_ARGUMENT, `cannot seek to offset ${target}`)
      offset = target
    } else {
      offset = await this.#io.listOffset(tp, target)
      // No record at or after the timestamp: like Kafka's offsetsForTimes null, go to the end.
      if (offset < 0) offset = await this.#io.listOffset(tp, 'latest')
    }
    state.position = offset
  }

  position(tp: TopicPartition): number {
    const state = this.state(tp)
    if (state.position < 0) {
      throw new TributaryError(ErrorCode.ILLEGAL_STATE, `${tp.topic}/${tp.partition} has no position (nothing committed and autoOffsetReset is 'none')`)
    }
    return state.position
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.state(tp).paused = true
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.state(tp).paused = false
  }

  paused(): TopicPartition[] {
    return [...this.#states.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }))
  }

  /** Every known position, as offsets to commit. */
  positions(): CommitEntry[] {
    const out: CommitEntry[] = []
    for (const s of this.#states.values()) if (s.position >= 0) out.push({ topic: s.topic, partition: s.partition, offset: s.position, metadata: null })
    return out
  }

  /** Positions not committed yet by this consumer (of `only`, when given). */
  changedPositions(only?: readonly TopicPartition[]): CommitEntry[] {
    const wanted = only === undefined ? undefined : new Set(only.map((tp) => partitionKey(tp.topic, tp.partition)))
    return this.positions().filter((e) => {
      const k = partitionKey(e.topic, e.partition)
      return (wanted === undefined || wanted.has(k)) && this.#states.get(k)?.committed !== e.offset
    })
  }

  markCommitted(entries: readonly TopicPartitionOffset[]): void {
    for (const e of entries) {
      const state = this.#states.get(partitionKey(e.topic, e.partition))
      if (state !== undefined) state.committed = e.offset
    }
  }
}
