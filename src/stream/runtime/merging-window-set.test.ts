import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ManualClock } from '../../util/clock.ts'
import { ValueStateDescriptor } from '../api/state.ts'
import { type Window } from '../api/window.ts'
import { EventTimeSessionWindows } from '../api/window-assigner.ts'
import { HeapKeyedStateBackend } from './heap-keyed-state-backend.ts'
import { type MergedWindow, MergingWindowSet } from './merging-window-set.ts'

interface MergeCall {
  result: string
  merged: string[]
  stateNs: string
  mergedStateNs: string[]
}

function sessionSet(key: unknown): { set: MergingWindowSet; backend: HeapKeyedStateBackend; merges: MergeCall[]; add(t: number): MergedWindow } {
  const backend = new HeapKeyedStateBackend({ clock: new ManualClock() })
  backend.setCurrentKey(key)
  const assigner = EventTimeSessionWindows.withGap(10)
  const set = new MergingWindowSet(backend.valueState(new ValueStateDescriptor<MergedWindow[]>('merging-window-set')), assigner)
  const merges: MergeCall[] = []
  const onMerge = (_k: unknown, result: Window, merged: readonly Window[], stateNs: string, mergedStateNs: readonly string[]): void => {
    merges.push({ result: result.namespace, merged: merged.map((w) => w.namespace), stateNs, mergedStateNs: [...mergedStateNs] })
  }
  const add = (t: number): MergedWindow => {
    set.load()
    const [w] = assigner.assignWindows(undefined, t, { currentProcessingTime: () => 0 })
    const added = set.addWindow(w as Window, key, onMerge)
    set.persist()
    return added
  }
  return { set, backend, merges, add }
}

test('a session keeps its state namespace while it grows; merging two sessions folds the later one in', () => {
  const { set, merges, add } = sessionSet('k')
  assert.equal(add(0).stateNs, '0:10')
  assert.equal(add(0).window.namespace, '0:10')
  assert.equal(merges.length, 0, 'the same window again merges nothing')
  const grown = add(5)
  assert.equal(grown.window.namespace, '0:15')
  assert.equal(grown.stateNs, '0:10', 'state stays where the session began')
  assert.deepEqual(merges, [{ result: '0:15', merged: ['0:10'], stateNs: '0:10', mergedStateNs: [] }], 'the new window takes no part')
  assert.equal(add(22).stateNs, '22:32', 'too far: a second session')
  merges.length = 0
  const bridged = add(14)
  assert.equal(bridged.window.namespace, '0:32')
  assert.equal(merges.length, 1)
  assert.deepEqual([...(merges[0] as MergeCall).merged].sort(), ['0:15', '22:32'])
  assert.deepEqual(merges[0]?.mergedStateNs, ['22:32'], 'the later session state is merged into the earlier one')
  assert.equal(merges[0]?.stateNs, '0:10')
  set.load()
  assert.equal(set.stateNamespaceOf('0:32'), '0:10')
  assert.equal(set.stateNamespaceOf('0:15'), undefined, 'merged away')
  set.retire('0:32')
  set.persist()
  set.load()
  assert.equal(set.stateNamespaceOf('0:32'), undefined)
})

test('whatever the arrival order, the live sessions are the gaps-apart groups of the times', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 30 }), (times) => {
      const { set, backend, add } = sessionSet(7)
      for (const t of times) add(t)
      const sorted = [...new Set(times)].sort((a, b) => a - b)
      const expected: string[] = []
      let start = sorted[0] as number
      let end = start + 10
      for (const t of sorted.slice(1)) {
        if (t <= end) end = Math.max(end, t + 10)
        else {
          expected.push(`${start}:${end}`)
          start = t
          end = t + 10
        }
      }
      expected.push(`${start}:${end}`)
      set.load()
      for (const ns of expected) assert.notEqual(set.stateNamespaceOf(ns), undefined, `${ns} is live (times ${times.join(',')})`)
      for (const ns of expected) set.retire(ns)
      set.persist()
      assert.equal(backend.entryCount('merging-window-set'), 0, 'no other window was left live')
    }),
  )
})
