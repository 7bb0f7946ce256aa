/**
 * @module Command-line parsing on node:util parseArgs (strict): unknown flags, missing values and
 * stray arguments become usage errors (exit 2) with a one-line message.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { ErrorCode, TributaryError, isTributaryError } from '../util/errors.ts'

export const DEFAULT_DATA_DIR = './data'

/** A usage error: the CLI prints it and exits with status 2. */
export function usageError(message: string): TributaryError {
  return new TributaryError(ErrorCode.INVALID_ARGUMENT, message, { details: { usage: true } })
}

export function isUsageError(err: unknown): boolean {
  return isTributaryError(err) && err.details['usage'] === true
}

export interface CommandSpec {
  /** e.g. "topics create" */
  name: string
  /** Full help text printed for --help. */
  help: string
  options: ParseArgsOptionsConfig
  /** Names of the positional arguments, all required. */
  positionals: readonly string[]
}

export interface ParsedCommand {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  positionals: string[]
}

const common: ParseArgsOptionsConfig = {
  'data-dir': { type: 'string' },
  // Over the Kafka protocol instead of the data directory (see context.ts withClient).
  bootstrap: { type: 'string' },
  tls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  'sasl-mechanism': { type: 'string' },
  'sasl-username': { type: 'string' },
  'sasl-password': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
}

/** Parses `args` for `spec`; returns undefined after printing help for --help. */
export function parseCommand(args: readonly string[], spec: CommandSpec, out: (text: string) => void): ParsedCommand | undefined {
  let parsed
  try {
    parsed = parseArgs({ args: [...args], options: { ...common, ...spec.options }, allowPositionals: true, strict: true })
  } catch (err) {
    throw usageError(`${spec.name}: ${firstSentence(err instanceof Error ? err.message : String(err))}`)
  }
  if (parsed.values['help'] === true) {
    out(spec.help)
    return undefined
  }
  const { positionals } = parsed
  if (positionals.length < spec.positionals.length) {
    throw usageError(`${spec.name}: missing ${spec.positionals.slice(positionals.length).map((p) => p.toUpperCase()).join(' ')} (see: tributary ${spec.name} --help)`)
  }
  if (positionals.length > spec.positionals.length) throw usageError(`${spec.name}: unexpected argument "${positionals[spec.positionals.length]}"`)
  return { values: parsed.values, positionals }
}

function firstSentence(message: string): string {
  const i = message.indexOf('. ')
  return i < 0 ? message : message.slice(0, i)
}

export function dataDirOf(values: ParsedCommand['values']): string {
  const dir = values['data-dir']
  return typeof dir === 'string' && dir !== '' ? dir : DEFAULT_DATA_DIR
}

export function stringOpt(values: ParsedCommand['values'], name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function flag(values: ParsedCommand['values'], name: string): boolean {
  return values[name] === true
}

export function listOpt(values: ParsedCommand['values'], name: string): string[] {
  const v = values[name]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

/** A whole number option within [min, max], or undefined when absent. */
export function intOpt(values: ParsedCommand['values'], name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = stringOpt(values, name)
  if (v === undefined) return undefined
  if (!/^-?\d+$/.test(v)) throw usageError(`--${name} must be a whole number, not "${v}"`)
  const n = Number(v)
  if (n < min || n > max) throw usageError(`--${name} must be between ${min} and ${max}, not ${n}`)
  return n
}

/** An ISO-8601 date-time option as epoch milliseconds. */
export function timeOpt(values: ParsedCommand['values'], name: string): number | undefined {
  const v = stringOpt(values, name)
  if (v === undefined) return undefined
  const ms = Date.parse(v)
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms)) throw usageError(`--${name} must be an ISO date-time such as 2024-05-01T12:00:00Z, not "${v}"`)
  return ms
}

/** `k=v` pairs from repeated --config flags. */
export function configOpt(values: ParsedCommand['values'], name = 'config'): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of listOpt(values, name)) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw usageError(`--${name} takes key=value, not "${pair}"`)
    out[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return out
}

/** Fails unless at most one of the named flags/options is given. */
export function atMostOne(values: ParsedCommand['values'], names: readonly string[]): void {
  const given = names.filter((n) => values[n] !== undefined && values[n] !== false)
  if (given.length > 1) throw usageError(`${given.map((n) => `--${n}`).join(' and ')} cannot be combined`)
}
