/**
 * @module Topic configuration: Kafka-style string configs (retention.ms, cleanup.policy, ...) parsed
 * and validated into the log's LogConfig, and rendered back as the effective configs of a topic.
 * A topic stores only its overrides; the effective config is the broker defaults plus those.
 */
import { ErrorCode, TributaryError } from '../util/errors.ts'
import { BATCH_OVERHEAD } from '../protocol/records/batch-header.ts'
import { type CleanupPolicy, DEFAULT_LOG_CONFIG, type FlushPolicy, type LogConfig, type MessageTimestampType } from '../log/types.ts'

/** A batch header is the smallest thing a segment or a message can hold. */
const MIN_BATCH_BYTES = BATCH_OVERHEAD
const INT32_MAX = 0x7fffffff
const DEFAULT_FLUSH_INTERVAL_MS = 1000

type Parser = (value: string, key: string) => unknown

interface ConfigDef {
  parse: Parser
  apply(config: LogConfig, value: unknown): void
  render(config: LogConfig): string
}

function invalid(key: string, message: string): TributaryError {
  return new TributaryError(ErrorCode.INVALID_CONFIG, `invalid value for '${key}': ${message}`, { details: { key } })
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser {
  return (value, key) => {
    const trimmed = value.trim()
    if (!/^-?\d+$/.test(trimmed)) throw invalid(key, `'${value}' is not an integer`)
    const n = Number(trimmed)
    if (!Number.isSafeInteger(n) || n < min || n > max) throw invalid(key, `${trimmed} is outside [${min}, ${max}]`)
    return n
  }
}

function oneOf<T extends string>(allowed: readonly T[], normalize: (v: string) => string = (v) => v.trim()): Parser {
  return (value, key) => {
    const v = normalize(value)
    if (!(allowed as readonly string[]).includes(v)) throw invalid(key, `'${value}' is not one of ${allowed.join(', ')}`)
    return v as T
  }
}

function normalizeCleanupPolicy(value: string): string {
  // Kafka takes a list; 'delete,compact' and 'compact, delete' mean the same as 'compact,delete'.
  const parts = [...new Set(value.split(',').map((p) => p.trim().toLowerCase()))].sort()
  return parts.join(',')
}

function flushIntervalOf(flush: FlushPolicy): number | undefined {
  return flush.mode === 'interval' ? flush.intervalMs : undefined
}

const DEFS: Record<string, ConfigDef> = {
  'retention.ms': {
    parse: integer(-1),
    apply: (c, v) => (c.retentionMs = v as number),
    render: (c) => String(c.retentionMs),
  },
  'retention.bytes': {
    parse: integer(-1),
    apply: (c, v) => (c.retentionBytes = v as number),
    render: (c) => String(c.retentionBytes),
  },
  'cleanup.policy': {
    parse: oneOf<CleanupPolicy>(['delete', 'compact', 'compact,delete'], normalizeCleanupPolicy),
    apply: (c, v) => (c.cleanupPolicy = v as CleanupPolicy),
    render: (c) => c.cleanupPolicy,
  },
  'max.message.bytes': {
    parse: integer(MIN_BATCH_BYTES, INT32_MAX),
    apply: (c, v) => (c.maxMessageBytes = v as number),
    render: (c) => String(c.maxMessageBytes),
  },
  'segment.bytes': {
    parse: integer(MIN_BATCH_BYTES, INT32_MAX),
    apply: (c, v) => (c.segmentBytes = v as number),
    render: (c) => String(c.segmentBytes),
  },
  'segment.ms': {
    parse: integer(1),
    apply: (c, v) => (c.segmentMs = v as number),
    render: (c) => String(c.segmentMs),
  },
  'delete.retention.ms': {
    parse: integer(0),
    apply: (c, v) => (c.deleteRetentionMs = v as number),
    render: (c) => String(c.deleteRetentionMs),
  },
  'index.interval.bytes': {
    parse: integer(0, INT32_MAX),
    apply: (c, v) => (c.indexIntervalBytes = v as number),
    render: (c) => String(c.indexIntervalBytes),
  },
  'message.timestamp.type': {
    parse: oneOf<MessageTimestampType>(['CreateTime', 'LogAppendTime']),
    apply: (c, v) => (c.messageTimestampType = v as MessageTimestampType),
    render: (c) => c.messageTimestampType,
  },
  'flush.mode': {
    parse: oneOf(['fsync', 'interval', 'never']),
    apply: (c, v) => {
      const interval = flushIntervalOf(c.flush) ?? DEFAULT_FLUSH_INTERVAL_MS
      c.flush = v === 'interval' ? { mode: 'interval', intervalMs: interval } : { mode: v as 'fsync' | 'never' }
    },
    render: (c) => c.flush.mode,
  },
  'flush.interval.ms': {
    parse: integer(1, INT32_MAX),
    // Only meaningful with flush.mode=interval; applied after flush.mode (see EFFECTIVE_ORDER).
    apply: (c, v) => {
      if (c.flush.mode === 'interval') c.flush = { mode: 'interval', intervalMs: v as number }
    },
    render: (c) => String(flushIntervalOf(c.flush) ?? DEFAULT_FLUSH_INTERVAL_MS),
  },
}

/** Every supported key, in the order they are applied and listed. */
export const TOPIC_CONFIG_KEYS: readonly string[] = Object.keys(DEFS)

/** Validated overrides: known keys with canonical string values. */
export type TopicConfigOverrides = Record<string, string>

/**
 * Validates Kafka-style configs and returns them in canonical form ('compact, delete' becomes
 * 'compact,delete', numbers lose whitespace). Unknown keys and bad values throw INVALID_CONFIG
 * naming the key.
 */
export function parseTopicConfigs(configs: Readonly<Record<string, unknown>>): TopicConfigOverrides {
  const out: TopicConfigOverrides = {}
  for (const [key, raw] of Object.entries(configs)) {
    const def = DEFS[key]
    if (def === undefined) {
      throw new TributaryError(ErrorCode.INVALID_CONFIG, `unknown topic config '${key}' (known: ${TOPIC_CONFIG_KEYS.join(', ')})`, {
        details: { key },
      })
    }
    if (typeof raw !== 'string') throw invalid(key, 'values are strings')
    out[key] = String(def.parse(raw, key))
  }
  return out
}

/**
 * Applies `changes` to `overrides` (a string sets, null removes, as Kafka's incremental alter)
 * and returns the new validated overrides; the input is not modified.
 */
export function mergeTopicConfigs(overrides: TopicConfigOverrides, changes: Readonly<Record<string, string | null>>): TopicConfigOverrides {
  const sets: Record<string, string> = {}
  const next: TopicConfigOverrides = { ...overrides }
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) {
      if (DEFS[key] === undefined) parseTopicConfigs({ [key]: '' }) // throws the unknown-key error
      delete next[key]
    } else {
      sets[key] = value
    }
  }
  return { ...next, ...parseTopicConfigs(sets) }
}

/** The log config of a topic: broker defaults, then the topic's overrides in key order. */
export function effectiveLogConfig(defaults: LogConfig, overrides: TopicConfigOverrides): LogConfig {
  const config: LogConfig = { ...defaults, flush: { ...defaults.flush } }
  for (const key of TOPIC_CONFIG_KEYS) {
    const value = overrides[key]
    if (value === undefined) continue
    const def = DEFS[key] as ConfigDef
    def.apply(config, def.parse(value, key))
  }
  return config
}

/** Every config key with its effective value, as DescribeConfigs shows them. */
export function renderTopicConfigs(config: LogConfig): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of TOPIC_CONFIG_KEYS) out[key] = (DEFS[key] as ConfigDef).render(config)
  return out
}

/** Broker-level defaults: the log's defaults with the broker config's partial overrides, checked. */
export function brokerLogDefaults(partial: Partial<LogConfig> | undefined): LogConfig {
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, ...(partial ?? {}) }
  // Validate through the same rules as topic configs, so a bad default fails at open.
  const rendered = renderTopicConfigs(config)
  try {
    parseTopicConfigs(rendered)
  } catch (e) {
    if (e instanceof TributaryError) throw new TributaryError(ErrorCode.INVALID_CONFIG, `broker logDefaults: ${e.message}`, { cause: e })
    throw e
  }
  return config
}
