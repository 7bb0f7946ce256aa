import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { ErrorCode, isTributaryError, type TributaryError } from '../util/errors.ts'
import { acquireDataDirLock, LOCK_FILE } from './data-dir-lock.ts'
import { removeDir, tempDir } from './log-test-support.ts'

const LOCK_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data-dir-lock.ts')
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir)
})

function newDir(): string {
  const dir = tempDir('tributary-lock-')
  dirs.push(dir)
  return dir
}

function lockedBy(pid: number, dir: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isTributaryError(err, ErrorCode.LOG_LOCKED), String(err))
    const message = (err as TributaryError).message
    assert.ok(message.includes(dir), `names the directory: ${message}`)
    assert.ok(message.includes(String(pid)), `names the holder pid ${pid}: ${message}`)
    return true
  }
}

/** Runs a Node 24 child that takes the lock and holds it until killed; resolves once it holds it. */
async function lockInChild(dir: string): Promise<ReturnType<typeof spawn>> {
  const code = `import { acquireDataDirLock } from ${JSON.stringify(LOCK_MODULE)}
await acquireDataDirLock(${JSON.stringify(dir)})
process.stdout.write('locked\\n')
setInterval(() => {}, 1000)`
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [data] = (await once(child.stdout, 'data')) as [Buffer]
  assert.equal(data.toString(), 'locked\n')
  return child
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'close')
  return child.pid as number
}

describe('data directory lock', () => {
  it('lets one holder in this process at a time, and again after release', async () => {
    const dir = newDir()
    const lock = await acquireDataDirLock(dir)
    assert.equal(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
    await assert.rejects(acquireDataDirLock(dir), lockedBy(process.pid, dir))
    await lock.release()
    assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)))
    const again = await acquireDataDirLock(dir)
    await again.release()
    await again.release()
  })

  it('refuses while another live process holds it, and takes it over once that process is dead', async () => {
    const dir = newDir()
    const child = await lockInChild(dir)
    try {
      await assert.rejects(acquireDataDirLock(dir), lockedBy(child.pid as number, dir))
    } finally {
      child.kill('SIGKILL')
      await once(child, 'close')
    }
    const lock = await acquireDataDirLock(dir)
    assert.equal(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
    await lock.release()
  })

  it('takes over a stale lock of a dead pid, an unreadable lock, and one of our own pid from a previous run', async () => {
    const dead = await deadPid()
    for (const content of [`${dead}\n`, 'garbage', `${process.pid}\n`]) {
      const dir = newDir()
      fs.writeFileSync(path.join(dir, LOCK_FILE), content)
      // What a process killed in the middle of taking the lock leaves behind.
      fs.writeFileSync(path.join(dir, `${LOCK_FILE}.${dead}.x1.tmp`), `${dead}\n`)
      fs.writeFileSync(path.join(dir, `${LOCK_FILE}.stale.${dead}.x2`), '1\n')
      const lock = await acquireDataDirLock(dir)
      assert.equal(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
      assert.deepEqual(fs.readdirSync(dir), [LOCK_FILE], 'no temp or stale files left behind')
      await lock.release()
    }
  })

  it('does not remove a lock that another process has taken since', async () => {
    const dir = newDir()
    const lock = await acquireDataDirLock(dir)
    fs.writeFileSync(path.join(dir, LOCK_FILE), '1\n')
    await lock.release()
    assert.equal(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'), '1\n')
  })
})
