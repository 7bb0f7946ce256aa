import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../util/clock.ts'
import { isTributaryError } from '../../util/errors.ts'
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../api/state.ts'
import { type AggregateFunction } from '../api/aggregate-function.ts'
import { HeapKeyedStateBackend } from './heap-keyed-state-backend.ts'

const avg: AggregateFunction<number, { sum: number; n: number }, number> = {
  createAccumulator: () => ({ sum: 0, n: 0 }),
  add: (acc, v) => ({ sum: acc.sum + v, n: acc.n + 1 }),
  getResult: (acc) => acc.sum / acc.n,
  merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
}

test('value state is scoped to the current key and namespace', () => {
  const b = new HeapKeyedStateBackend({ clock: new ManualClock() })
  const s = b.valueState(new ValueStateDescriptor<number>('v', { defaultValue: -1 }))
  b.setCurrentKey('a')
  assert.equal(s.value(), -1)
  s.update(1)
  b.setCurrentKey('b')
  assert.equal(s.value(), -1)
  s.update(2)
  s.setNamespace('w1')
  s.update(3)
  b.setCurrentKey('a')
  assert.equal(s.value(), -1, 'key a has nothing in namespace w1')
  s.setNamespace('')
  assert.equal(s.value(), 1)
  b.setCurrentKey('b')
  assert.equal(s.value(), 2)
  s.setNamespace('w1')
  assert.equal(s.value(), 3)
  s.clear()
  assert.equal(s.value(), -1)
  assert.equal(b.entryCount('v'), 2)
})

test('composite keys address the same state when equal by value', () => {
  const b = new HeapKeyedStateBackend({ clock: new ManualClock() })
  const s = b.valueState(new ValueStateDescriptor<string>('v'))
  b.setCurrentKey(['eu', 7])
  s.update('x')
  b.setCurrentKey(['eu', 7])
  assert.equal(s.value(), 'x')
  b.setCurrentKey(['eu', 8])
  assert.equal(s.value(), undefined)
  assert.deepEqual(b.keys('v'), [['eu', 7]])
})

test('list, map, reducing and aggregating states', () => {
  const b = new HeapKeyedStateBackend({ clock: new ManualClock() })
  b.setCurrentKey(1)
  const list = b.listState(new ListStateDescriptor<string>('l'))
  list.add('a')
  list.addAll(['b', 'c'])
  const copy = list.get()
  copy.push('mutated')
  assert.deepEqual(list.get(), ['a', 'b', 'c'])
  list.update(['z'])
  assert.deepEqual(list.get(), ['z'])

  const map = b.mapState(new MapStateDescriptor<{ id: number }, string>('m'))
  map.put({ id: 1 }, 'one')
  map.put({ id: 2 }, 'two')
  assert.equal(map.get({ id: 1 }), 'one')
  assert.equal(map.contains({ id: 3 }), false)
  map.remove({ id: 1 })
  assert.deepEqual(map.entries(), [[{ id: 2 }, 'two']])
  map.remove({ id: 2 })
  assert.equal(map.isEmpty(), true)
  assert.equal(b.entryCount('m'), 0)

  const red = b.reducingState(new ReducingStateDescriptor<number>('r', (x, y) => Math.max(x, y)))
  assert.equal(red.get(), undefined)
  for (const v of [3, 9, 4]) red.add(v)
  assert.equal(red.get(), 9)

  const agg = b.aggregatingState(new AggregatingStateDescriptor('a', avg))
  for (const v of [2, 4, 9]) agg.add(v)
  assert.equal(agg.get(), 5)
})

test('mergeNamespaces folds sources into the target and clears them', () => {
  const b = new HeapKeyedStateBackend({ clock: new ManualClock() })
  b.setCurrentKey('k')
  const agg = b.aggregatingState(new AggregatingStateDescriptor('a', avg))
  const list = b.listState(new ListStateDescriptor<number>('l'))
  for (const [ns, vs] of [['w1', [1, 2]], ['w2', [3]], ['w3', [10]]] as const) {
    agg.setNamespace(ns)
    list.setNamespace(ns)
    for (const v of vs) {
      agg.add(v)
      list.add(v)
    }
  }
  agg.mergeNamespaces('w1', ['w2', 'w3'])
  list.mergeNamespaces('w2', ['w1', 'w3'])
  agg.setNamespace('w1')
  assert.equal(agg.get(), 4)
  agg.setNamespace('w2')
  assert.equal(agg.get(), undefined)
  list.setNamespace('w2')
  assert.deepEqual(list.get().sort((x, y) => x - y), [1, 2, 3, 10])
  assert.equal(b.entryCount('l'), 1)
  assert.equal(b.entryCount('a'), 1)
})

test('a name registered as one kind cannot be reused as another', () => {
  const b = new HeapKeyedStateBackend({ clock: new ManualClock() })
  b.valueState(new ValueStateDescriptor('x'))
  assert.throws(() => b.listState(new ListStateDescriptor('x')), (e) => isTributaryError(e, 'STATE_ERROR'))
})

test('TTL: value expires on the clock; onReadAndWrite refreshes on read', () => {
  const clock = new ManualClock(1000)
  const b = new HeapKeyedStateBackend({ clock })
  const write = b.valueState(new ValueStateDescriptor<string>('w', { ttl: { ttlMs: 100 } }))
  const read = b.valueState(new ValueStateDescriptor<string>('r', { ttl: { ttlMs: 100, updateType: 'onReadAndWrite' } }))
  b.setCurrentKey('k')
  write.update('a')
  read.update('a')
  clock.advance(60)
  assert.equal(write.value(), 'a')
  assert.equal(read.value(), 'a')
  clock.advance(60)
  assert.equal(write.value(), undefined, 'expired 100 ms after the write')
  assert.equal(read.value(), 'a', 'read at 60 ms refreshed it')
  clock.advance(100)
  assert.equal(read.value(), undefined)
  assert.equal(b.entryCount(), 0, 'expired entries are dropped on read')
})

test('TTL: returnExpiredIfNotCleanedUp still shows an expired value until cleanup', () => {
  const clock = new ManualClock()
  const b = new HeapKeyedStateBackend({ clock })
  const s = b.valueState(new ValueStateDescriptor<number>('s', { ttl: { ttlMs: 10, visibility: 'returnExpiredIfNotCleanedUp' } }))
  b.setCurrentKey('k')
  s.update(5)
  clock.advance(20)
  assert.equal(s.value(), 5)
  assert.equal(b.cleanupExpired(10), 1)
  assert.equal(s.value(), undefined)
})

test('TTL: list and map entries expire one by one', () => {
  const clock = new ManualClock()
  const b = new HeapKeyedStateBackend({ clock })
  const list = b.listState(new ListStateDescriptor<string>('l', { ttl: { ttlMs: 100 } }))
  const map = b.mapState(new MapStateDescriptor<string, number>('m', { ttl: { ttlMs: 100 } }))
  b.setCurrentKey('k')
  list.add('old')
  map.put('old', 1)
  clock.advance(50)
  list.add('new')
  map.put('new', 2)
  clock.advance(60)
  assert.deepEqual(list.get(), ['new'])
  assert.deepEqual(map.keys(), ['new'])
  assert.equal(map.get('old'), undefined)
})

test('TTL: incremental cleanup removes expired entries of keys never read again', () => {
  const clock = new ManualClock()
  const b = new HeapKeyedStateBackend({ clock })
  const s = b.valueState(new ValueStateDescriptor<number>('s', { ttl: { ttlMs: 100 } }))
  const plain = b.valueState(new ValueStateDescriptor<number>('p'))
  for (let k = 0; k < 50; k++) {
    b.setCurrentKey(k)
    s.update(k)
    plain.update(k)
  }
  clock.advance(50)
  assert.equal(b.cleanupExpired(1000), 0)
  clock.advance(50)
  let removed = 0
  for (let i = 0; i < 10; i++) removed += b.cleanupExpired(10)
  assert.equal(removed, 50)
  assert.equal(b.entryCount('s'), 0)
  assert.equal(b.entryCount('p'), 50, 'state without TTL is untouched')
})

test('timer queue: ordered, deduplicated, deletable', () => {
  const b = new HeapKeyedStateBackend({ clock: new ManualClock() })
  const q = b.timerQueue('t')
  assert.equal(q.add(30, 'a', ''), true)
  assert.equal(q.add(10, 'b', ''), true)
  assert.equal(q.add(10, 'b', ''), false)
  assert.equal(q.add(10, 'b', 'w'), true)
  assert.equal(q.add(20, ['x', 1], ''), true)
  assert.equal(q.add(20, ['x', 1], ''), false)
  assert.equal(q.remove(30, 'a', ''), true)
  assert.equal(q.remove(30, 'a', ''), false)
  assert.equal(q.size, 3)
  const order: [number, unknown, string][] = []
  for (let t = q.poll(); t !== undefined; t = q.poll()) order.push([t.time, t.key, t.namespace])
  assert.deepEqual(order, [[10, 'b', ''], [10, 'b', 'w'], [20, ['x', 1], '']])
  assert.equal(q.add(30, 'a', ''), true, 'a removed timer can be registered again')
})
