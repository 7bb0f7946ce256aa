/**
 * @module Update streams. Results that can change after they were first emitted (rolling keyed
 * aggregates, early firings, allowed lateness, merging sessions) carry a kind and a key, so a sink
 * can upsert them: `insert` the first result of a key (and window), `update` a newer result that
 * replaces it, `delete` a result that no longer exists (a session window merged into a larger one;
 * `value` then holds the last value emitted for it).
 */
import { type TimeWindow, type Window } from './window.ts'

export type ChangeKind = 'insert' | 'update' | 'delete'

export interface Change<K, V> {
  kind: ChangeKind
  key: K
  value: V
}

/** A window's result: upsert by (key, window). */
export interface WindowResult<K, V, W extends Window = TimeWindow> extends Change<K, V> {
  window: W
}
