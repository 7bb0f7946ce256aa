import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MetricsRegistry } from './registry.ts'
import { toPrometheusText } from './prometheus.ts'
import { isTributaryError } from '../util/errors.ts'

test('families keep one child per label combination and snapshot them', () => {
  const r = new MetricsRegistry()
  const bytes = r.counterFamily('bytes_in_total', 'Bytes in', ['topic', 'partition'])
  bytes.labels('a', '0').inc(10)
  bytes.labels('a', '0').inc(5)
  bytes.labels('a', '1').inc(1)
  assert.equal(bytes.labels('a', '0').value, 15)
  assert.equal(bytes.size, 2)
  const snap = r.snapshot()
  assert.equal(snap.length, 1)
  assert.deepEqual(snap[0]?.samples, [
    { labels: { topic: 'a', partition: '0' }, value: 15 },
    { labels: { topic: 'a', partition: '1' }, value: 1 },
  ])
})

test('label values are matched exactly, including separators', () => {
  const r = new MetricsRegistry()
  const f = r.gaugeFamily('g', 'g', ['a', 'b'])
  f.labels('x,y', 'z').set(1)
  f.labels('x', 'y,z').set(2)
  assert.equal(f.size, 2)
  assert.equal(f.labels('x,y', 'z').value, 1)
})

test('remove and removeWhere drop children', () => {
  const r = new MetricsRegistry()
  const f = r.counterFamily('c_total', 'c', ['topic', 'partition'])
  f.labels('a', '0').inc()
  f.labels('a', '1').inc()
  f.labels('b', '0').inc()
  assert.equal(f.removeWhere((l) => l.topic === 'a'), 2)
  assert.equal(f.remove('b', '0'), true)
  assert.equal(f.remove('b', '0'), false)
  assert.equal(f.size, 0)
})

test('counters only go up; gauges go both ways', () => {
  const r = new MetricsRegistry()
  const c = r.counter('c_total', 'c')
  assert.throws(() => c.inc(-1), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  const g = r.gauge('g', 'g')
  g.inc(5)
  g.dec(7)
  assert.equal(g.value, -2)
  g.set(3)
  assert.equal(g.value, 3)
})

test('asking for a family again returns it; a conflicting registration is rejected', () => {
  const r = new MetricsRegistry()
  const a = r.counterFamily('x_total', 'x', ['topic'])
  assert.equal(r.counterFamily('x_total', 'x', ['topic']), a)
  assert.throws(() => r.gaugeFamily('x_total', 'x', ['topic']), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => r.counterFamily('x_total', 'x', ['group']), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => r.registerCollector('x_total', 'x', 'gauge', [], () => []), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
})

test('bad metric and label names and wrong label counts are rejected', () => {
  const r = new MetricsRegistry()
  assert.throws(() => r.counter('1bad', 'x'), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => r.counterFamily('ok', 'x', ['bad-label']), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => r.counterFamily('ok2', 'x', ['a', 'a']), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => r.histogramFamily('ok3', 'x', ['quantile']), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  const f = r.counterFamily('ok4', 'x', ['a'])
  assert.throws(() => f.labels('1', '2'), (e) => isTributaryError(e, 'INVALID_ARGUMENT'))
  assert.equal(f.size, 0)
})

test('collectors are evaluated at snapshot time and can be unregistered', () => {
  const r = new MetricsRegistry()
  let lag = 3
  const off = r.registerCollector('lag', 'lag', 'gauge', ['group'], () => [[['g1'], lag]])
  assert.deepEqual(r.snapshot()[0]?.samples, [{ labels: { group: 'g1' }, value: 3 }])
  lag = 7
  assert.deepEqual(r.snapshot()[0]?.samples, [{ labels: { group: 'g1' }, value: 7 }])
  off()
  assert.equal(r.snapshot().length, 0)
})

test('Prometheus text has HELP/TYPE lines, escaped labels and summaries for histograms', () => {
  const r = new MetricsRegistry()
  r.counterFamily('msgs_total', 'Messages\nin', ['topic']).labels('a"b\\c').inc(2)
  const h = r.histogram('latency_ms', 'Latency')
  for (let v = 1; v <= 100; v++) h.record(v)
  r.registerCollector('up', 'Up', 'gauge', [], () => [[[], Infinity]])
  const text = toPrometheusText(r)
  const expected = [
    '# HELP msgs_total Messages\\nin',
    '# TYPE msgs_total counter',
    'msgs_total{topic="a\\"b\\\\c"} 2',
    '# HELP latency_ms Latency',
    '# TYPE latency_ms summary',
    'latency_ms{quantile="0.5"} 50',
    'latency_ms{quantile="0.95"} 95',
    'latency_ms{quantile="0.99"} 99',
    'latency_ms{quantile="0.999"} 100',
    'latency_ms_sum 5050',
    'latency_ms_count 100',
    '# HELP latency_ms_max Largest value recorded: Latency',
    '# TYPE latency_ms_max gauge',
    'latency_ms_max 100',
    '# HELP up Up',
    '# TYPE up gauge',
    'up +Inf',
    '',
  ].join('\n')
  assert.equal(text, expected)
})
