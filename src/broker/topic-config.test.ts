import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isTributaryError } from '../util/errors.ts'
import { DEFAULT_LOG_CONFIG } from '../log/types.ts'
import {
  TOPIC_CONFIG_KEYS,
  brokerLogDefaults,
  effectiveLogConfig,
  mergeTopicConfigs,
  parseTopicConfigs,
  renderTopicConfigs,
} from './topic-config.ts'
import { validateTopicName } from './topic-manager.ts'

function invalidConfig(key: string) {
  return (e: unknown): boolean => isTributaryError(e, 'INVALID_CONFIG') && e.message.includes(`'${key}'`) && e.details.key === key
}

test('Kafka-style configs become a LogConfig', () => {
  const overrides = parseTopicConfigs({
    'retention.ms': '60000',
    'retention.bytes': '-1',
    'cleanup.policy': 'delete, compact',
    'max.message.bytes': ' 2048 ',
    'segment.bytes': '1048576',
    'segment.ms': '3600000',
    'delete.retention.ms': '0',
    'message.timestamp.type': 'LogAppendTime',
    'flush.mode': 'interval',
    'flush.interval.ms': '250',
    'index.interval.bytes': '1024',
  })
  assert.equal(overrides['cleanup.policy'], 'compact,delete')
  assert.equal(overrides['max.message.bytes'], '2048')
  const config = effectiveLogConfig(DEFAULT_LOG_CONFIG, overrides)
  assert.deepEqual(config, {
    ...DEFAULT_LOG_CONFIG,
    retentionMs: 60000,
    retentionBytes: -1,
    cleanupPolicy: 'compact,delete',
    maxMessageBytes: 2048,
    segmentBytes: 1048576,
    segmentMs: 3600000,
    deleteRetentionMs: 0,
    messageTimestampType: 'LogAppendTime',
    flush: { mode: 'interval', intervalMs: 250 },
    indexIntervalBytes: 1024,
  })
})

test('unknown keys and bad values are refused naming the key', () => {
  assert.throws(() => parseTopicConfigs({ 'retention.ms': '1', 'compression.tipe': 'lz4' }), invalidConfig('compression.tipe'))
  assert.throws(() => parseTopicConfigs({ 'retention.ms': 'soon' }), invalidConfig('retention.ms'))
  assert.throws(() => parseTopicConfigs({ 'retention.ms': '-2' }), invalidConfig('retention.ms'))
  assert.throws(() => parseTopicConfigs({ 'retention.ms': '1.5' }), invalidConfig('retention.ms'))
  assert.throws(() => parseTopicConfigs({ 'segment.bytes': '10' }), invalidConfig('segment.bytes'))
  assert.throws(() => parseTopicConfigs({ 'segment.bytes': '4294967296' }), invalidConfig('segment.bytes'))
  assert.throws(() => parseTopicConfigs({ 'cleanup.policy': 'shred' }), invalidConfig('cleanup.policy'))
  assert.throws(() => parseTopicConfigs({ 'message.timestamp.type': 'createtime' }), invalidConfig('message.timestamp.type'))
  assert.throws(() => parseTopicConfigs({ 'flush.mode': 'sometimes' }), invalidConfig('flush.mode'))
  assert.throws(() => parseTopicConfigs({ 'flush.interval.ms': '0' }), invalidConfig('flush.interval.ms'))
  assert.throws(() => parseTopicConfigs({ 'retention.ms': 5 as unknown as string }), invalidConfig('retention.ms'))
})

test('alter merges: a string sets, null removes, and a bad change leaves the input alone', () => {
  const base = parseTopicConfigs({ 'retention.ms': '1000', 'cleanup.policy': 'compact' })
  const next = mergeTopicConfigs(base, { 'retention.ms': null, 'segment.ms': '5000' })
  assert.deepEqual(next, { 'cleanup.policy': 'compact', 'segment.ms': '5000' })
  assert.deepEqual(base, { 'retention.ms': '1000', 'cleanup.policy': 'compact' })
  assert.throws(() => mergeTopicConfigs(base, { 'retention.ms': 'x' }), invalidConfig('retention.ms'))
  assert.throws(() => mergeTopicConfigs(base, { 'no.such': null }), invalidConfig('no.such'))
})

test('flush.interval.ms applies only with flush.mode=interval, whichever layer sets the mode', () => {
  const onlyInterval = effectiveLogConfig(DEFAULT_LOG_CONFIG, parseTopicConfigs({ 'flush.interval.ms': '50' }))
  assert.deepEqual(onlyInterval.flush, { mode: 'fsync' })
  const intervalDefaults = { ...DEFAULT_LOG_CONFIG, flush: { mode: 'interval' as const, intervalMs: 900 } }
  assert.deepEqual(effectiveLogConfig(intervalDefaults, parseTopicConfigs({ 'flush.interval.ms': '50' })).flush, { mode: 'interval', intervalMs: 50 })
  assert.deepEqual(effectiveLogConfig(DEFAULT_LOG_CONFIG, parseTopicConfigs({ 'flush.mode': 'interval' })).flush, { mode: 'interval', intervalMs: 1000 })
})

test('rendered effective configs parse back to the same config (property)', () => {
  const arb = fc.record(
    {
      'retention.ms': fc.integer({ min: -1, max: 1e12 }).map(String),
      'retention.bytes': fc.integer({ min: -1, max: 1e12 }).map(String),
      'cleanup.policy': fc.constantFrom('delete', 'compact', 'compact,delete', 'delete,compact'),
      'segment.bytes': fc.integer({ min: 61, max: 0x7fffffff }).map(String),
      'message.timestamp.type': fc.constantFrom('CreateTime', 'LogAppendTime'),
      'flush.mode': fc.constantFrom('fsync', 'interval', 'never'),
      'flush.interval.ms': fc.integer({ min: 1, max: 100000 }).map(String),
    },
    { requiredKeys: [] },
  )
  fc.assert(
    fc.property(arb, (configs) => {
      const config = effectiveLogConfig(DEFAULT_LOG_CONFIG, parseTopicConfigs(configs))
      const rendered = renderTopicConfigs(config)
      assert.deepEqual(Object.keys(rendered), [...TOPIC_CONFIG_KEYS])
      assert.deepEqual(effectiveLogConfig(DEFAULT_LOG_CONFIG, parseTopicConfigs(rendered)), config)
    }),
  )
})

test('broker log defaults are checked with the same rules', () => {
  assert.equal(brokerLogDefaults({ retentionMs: 5 }).retentionMs, 5)
  assert.throws(() => brokerLogDefaults({ segmentBytes: 3 }), (e) => isTributaryError(e, 'INVALID_CONFIG'))
  assert.throws(() => brokerLogDefaults({ flush: { mode: 'interval', intervalMs: 0 } }), (e) => isTributaryError(e, 'INVALID_CONFIG'))
})

test('topic names follow Kafka: 1..249 of [a-zA-Z0-9._-], not "." or ".." (property)', () => {
  const chars = fc.constantFrom(...'abcXYZ019._-/ \\:*?é\u0000'.split(''))
  fc.assert(
    fc.property(fc.array(chars, { maxLength: 260 }).map((a) => a.join('')), (name) => {
      const valid = name.length >= 1 && name.length <= 249 && name !== '.' && name !== '..' && /^[a-zA-Z0-9._-]+$/.test(name)
      let accepted = true
      try {
        validateTopicName(name)
      } catch (e) {
        assert.ok(isTributaryError(e, 'INVALID_TOPIC_NAME'))
        accepted = false
      }
      assert.equal(accepted, valid, JSON.stringify(name))
    }),
    { numRuns: 500 },
  )
  validateTopicName('a'.repeat(249))
  assert.throws(() => validateTopicName('a'.repeat(250)), (e) => isTributaryError(e, 'INVALID_TOPIC_NAME'))
  assert.throws(() => validateTopicName('..'), (e) => isTributaryError(e, 'INVALID_TOPIC_NAME'))
  assert.throws(() => validateTopicName(''), (e) => isTributaryError(e, 'INVALID_TOPIC_NAME'))
})
