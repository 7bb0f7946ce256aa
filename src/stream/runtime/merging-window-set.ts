/**
 * @module The merging-window set of one key (Flink's MergingWindowSet): the key's live windows of a
 * merging assigner (sessions), each with the namespace that holds its state. That namespace stays
 * the same when windows merge, so merging moves no contents but those of the other merged windows.
 *
 * Kept in keyed value state as a small array (a key has one or a few live sessions), loaded once
 * per element and changed in place: adding a window is a scan of that array, not a map rebuilt
 * from namespaces parsed back into windows.
 */
import { type Window } from '../api/window.ts'
import { type WindowAssigner } from '../api/window-assigner.ts'
import { type InternalValueState } from './keyed-state-backend.ts'

export interface MergedWindow {
  readonly window: Window
  /** Where the window's contents live: the namespace of the first window of the merge chain. */
  readonly stateNs: string
}

/**
 * Called when pre-existing windows (`merged`, never `result` itself nor the new window, which has
 * no state yet) were merged into `result`; `mergedStateNs` are their state namespaces other than
 * `stateNs`, whose contents go into `stateNs`.
 */
export type MergeFunction = (key: unknown, result: Window, merged: readonly Window[], stateNs: string, mergedStateNs: readonly string[]) => void

interface MergeGroup {
  toMerge: Window[]
  result: Window
}

const NONE: readonly string[] = []

export class MergingWindowSet {
  readonly #state: InternalValueState<MergedWindow[]>
  readonly #mergeWindows: NonNullable<WindowAssigner<unknown, Window>['mergeWindows']>
  #entries: MergedWindow[] = []
  readonly #windows: Window[] = []
  readonly #groups: MergeGroup[] = []
  readonly #collect = (toMerge: Window[], result: Window): void => {
    this.#groups.push({ toMerge, result })
  }

  constructor(state: InternalValueState<MergedWindow[]>, assigner: WindowAssigner<unknown, Window>) {
    const merge = assigner.mergeWindows
    if (merge === undefined) throw new TypeError('not a merging window assigner')
    this.#state = state
    this.#mergeWindows = merge.bind(assigner)
  }

  /** Reads the current key's set; call before the other methods, and persist() after changes. */
  load(): void {
    this.#entries = this.#state.value() ?? []
  }

  persist(): void {
    if (this.#entries.length === 0) this.#state.clear()
    else this.#state.update(this.#entries)
  }

  /** The state namespace of a live window; undefined once it was merged away or retired. */
  stateNamespaceOf(namespace: string): string | undefined {
    return this.#entries[this.#indexOf(namespace)]?.stateNs
  }

  /** Forgets a window (it was purged for good or is late). */
  retire(namespace: string): void {
    const i = this.#indexOf(namespace)
    if (i >= 0) this.#removeAt(i)
  }

  /** Adds a window, merging it with the windows it overlaps; returns the window it ends up in. */
  addWindow(newWindow: Window, key: unknown, onMerge: MergeFunction): MergedWindow {
    const entries = this.#entries
    if (entries.length === 0) {
      // A single window merges with nothing.
      const entry: MergedWindow = { window: newWindow, stateNs: newWindow.namespace }
      entries.push(entry)
      return entry
    }
    const windows = this.#windows
    windows.length = 0
    for (const e of entries) windows.push(e.window)
    windows.push(newWindow)
    const groups = this.#groups
    groups.length = 0
    this.#mergeWindows(windows, this.#collect)
    let found: MergedWindow | undefined
    for (let g = 0; g < groups.length; g++) {
      const { toMerge, result } = groups[g] as MergeGroup
      let target: MergedWindow | undefined
      let mergedNew = false
      let merged: Window[] | undefined
      let mergedStateNs: string[] | undefined
      for (const w of toMerge) {
        if (w.namespace === newWindow.namespace) mergedNew = true
        const i = this.#indexOf(w.namespace)
        if (i < 0) continue
        const e = entries[i] as MergedWindow
        this.#removeAt(i)
        if (target === undefined) target = e
        else (mergedStateNs ??= []).push(e.stateNs)
        if (e.window.namespace !== result.namespace) (merged ??= []).push(e.window)
      }
      const entry: MergedWindow = target !== undefined && target.window.namespace === result.namespace ? target : { window: result, stateNs: target?.stateNs ?? result.namespace }
      entries.push(entry)
      if (mergedNew) found = entry
      if (merged !== undefined) onMerge(key, result, merged, entry.stateNs, mergedStateNs ?? NONE)
    }
    groups.length = 0
    windows.length = 0
    if (found !== undefined) return found
    const i = this.#indexOf(newWindow.namespace)
    if (i >= 0) return entries[i] as MergedWindow
    const entry: MergedWindow = { window: newWindow, stateNs: newWindow.namespace }
    entries.push(entry)
    return entry
  }

  /** The order of entries means nothing: the last one takes the removed one's place. */
  #removeAt(i: number): void {
    const entries = this.#entries
    const last = entries.pop() as MergedWindow
    if (i < entries.length) entries[i] = last
  }

  #indexOf(namespace: string): number {
    const entries = this.#entries
    for (let i = 0; i < entries.length; i++) if ((entries[i] as MergedWindow).window.namespace === namespace) return i
    return -1
  }
}
