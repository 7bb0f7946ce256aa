/**
 * @module The in-memory timer queue of the heap state backend: a binary min-heap on (time,
 * registration order), indexed by (time, key, namespace) for deduplication and O(1) deletes
 * (deleted timers are skipped lazily when they reach the top).
 *
 * Window operators register a trigger timer and then the same cleanup timer for every element:
 * a call repeating the previous one returns before any lookup.
 */
import { type KeyId, type TimerEntry, type TimerQueue, keyIdOf } from './keyed-state-backend.ts'

interface HeapTimer extends TimerEntry {
  seq: number
  deleted: boolean
}

/** Binary min-heap on (time, registration order) with an index for deduplication and deletes. */
export class HeapTimerQueue implements TimerQueue {
  #heap: HeapTimer[] = []
  #index = new Map<number, Map<KeyId, Map<string, HeapTimer>>>()
  #size = 0
  #seq = 0
  /** The timer the last add found or created; cleared when a timer leaves the index. */
  #last: HeapTimer | undefined

  get size(): number {
    return this.#size
  }

  add(time: number, key: unknown, namespace: string): boolean {
    const keyId = keyIdOf(key)
    const last = this.#last
    if (last !== undefined && last.time === time && last.keyId === keyId && last.namespace === namespace) return false
    let byKey = this.#index.get(time)
    if (byKey === undefined) {
      byKey = new Map()
      this.#index.set(time, byKey)
    }
    let byNs = byKey.get(keyId)
    if (byNs === undefined) {
      byNs = new Map()
      byKey.set(keyId, byNs)
    }
    const existing = byNs.get(namespace)
    if (existing !== undefined) {
      this.#last = existing
      return false
    }
    const timer: HeapTimer = { time, key, keyId, namespace, seq: this.#seq++, deleted: false }
    this.#last = timer
    byNs.set(namespace, timer)
    this.#heap.push(timer)
    this.#siftUp(this.#heap.length - 1)
    this.#size++
    return true
  }

  remove(time: number, key: unknown, namespace: string): boolean {
    const timer = this.#index.get(time)?.get(keyIdOf(key))?.get(namespace)
    if (timer === undefined) return false
    timer.deleted = true
    this.#unindex(timer)
    this.#size--
    return true
  }

  peek(): TimerEntry | undefined {
    const heap = this.#heap
    while (heap.length > 0 && (heap[0] as HeapTimer).deleted) this.#pop()
    return heap[0]
  }

  poll(): TimerEntry | undefined {
    const top = this.peek() as HeapTimer | undefined
    if (top === undefined) return undefined
    this.#pop()
    this.#unindex(top)
    this.#size--
    return top
  }

  #unindex(timer: HeapTimer): void {
    if (this.#last === timer) this.#last = undefined
    const byKey = this.#index.get(timer.time)
    const byNs = byKey?.get(timer.keyId)
    if (byKey === undefined || byNs === undefined) return
    byNs.delete(timer.namespace)
    if (byNs.size === 0) byKey.delete(timer.keyId)
    if (byKey.size === 0) this.#index.delete(timer.time)
  }

  #less(a: HeapTimer, b: HeapTimer): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq)
  }

  #pop(): void {
    const heap = this.#heap
    const last = heap.pop() as HeapTimer
    if (heap.length === 0) return
    heap[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && this.#less(heap[l] as HeapTimer, heap[m] as HeapTimer)) m = l
      if (r < heap.length && this.#less(heap[r] as HeapTimer, heap[m] as HeapTimer)) m = r
      if (m === i) return
      const t = heap[i] as HeapTimer
      heap[i] = heap[m] as HeapTimer
      heap[m] = t
      i = m
    }
  }

  #siftUp(i: number): void {
    const heap = this.#heap
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.#less(heap[i] as HeapTimer, heap[p] as HeapTimer)) return
      const t = heap[i] as HeapTimer
      heap[i] = heap[p] as HeapTimer
      heap[p] = t
      i = p
    }
  }
}
