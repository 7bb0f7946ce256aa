/**
 * @module Test helper: runs the real `tributary` launcher (bin/tributary.js) in a child process,
 * with a temporary data directory, and checks the one-line error contract.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export function runCli(args: readonly string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.on('error', () => undefined)
    child.stdin.end(input ?? '')
  })
}

/** Runs with `--data-dir dir` appended and asserts success; returns stdout. */
export async function ok(dir: string, ...args: string[]): Promise<string> {
  const r = await runCli([...args, '--data-dir', dir])
  assert.equal(r.code, 0, `tributary ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

export async function okJson<T>(dir: string, ...args: string[]): Promise<T> {
  return JSON.parse(await ok(dir, ...args, '--json')) as T
}

/** Asserts the failure contract: the exit code and exactly one `tributary: error:` line, no stack trace. */
export function assertOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}; stderr: ${r.stderr}`)
  const lines = r.stderr.split('\n').filter((l) => l !== '')
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`)
  assert.match(lines[0] ?? '', /^tributary: error: /)
  assert.match(lines[0] ?? '', pattern)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
}

export async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-cli-'))
  try {
    await fn(path.join(dir, 'data'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
