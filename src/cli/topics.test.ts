import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { type TopicInfo } from '../client/types.ts'
import { assertOneLineError, ok, okJson, runCli, withDataDir } from './cli-harness.ts'

describe('tributary topics', () => {
  it('creates, lists, describes, alters and deletes topics', () =>
    withDataDir(async (dir) => {
      assert.match(await ok(dir, 'topics', 'create', 'clicks', '--partitions', '3', '--config', 'retention.ms=3600000'), /Created topic clicks/)
      await ok(dir, 'topics', 'create', 'other')
      assert.deepEqual(await okJson(dir, 'topics', 'list'), ['clicks', 'other'])
      const internal = await okJson<string[]>(dir, 'topics', 'list', '--internal')
      assert.ok(internal.includes('clicks'))

      const info = await okJson<TopicInfo>(dir, 'topics', 'describe', 'clicks')
      assert.equal(info.name, 'clicks')
      assert.deepEqual(info.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset]), [[0, 0, 0], [1, 0, 0], [2, 0, 0]])
      assert.equal(info.configs['retention.ms'], '3600000')
      const text = await ok(dir, 'topics', 'describe', 'clicks')
      assert.match(text, /PARTITION\s+START\s+END/)
      assert.match(text, /retention\.ms=3600000/)

      await ok(dir, 'topics', 'alter', 'clicks', '--partitions', '5', '--config', 'cleanup.policy=compact', '--delete-config', 'retention.ms')
      const altered = await okJson<TopicInfo>(dir, 'topics', 'describe', 'clicks')
      assert.equal(altered.partitions.length, 5)
      assert.equal(altered.configs['cleanup.policy'], 'compact')
      assert.notEqual(altered.configs['retention.ms'], '3600000')

      assert.match(await ok(dir, 'topics', 'delete', 'other'), /Deleted topic other/)
      assert.deepEqual(await okJson(dir, 'topics', 'list'), ['clicks'])
    }))

  it('rejects bad usage and unknown topics with one line and changes nothing', () =>
    withDataDir(async (dir) => {
      await ok(dir, 'topics', 'create', 'keep', '--partitions', '2')
      assertOneLineError(await runCli(['topics', 'create', '--data-dir', dir]), 2, /missing NAME/)
      assertOneLineError(await runCli(['topics', 'create', 'x', '--bogus', '--data-dir', dir]), 2, /--bogus/)
      assertOneLineError(await runCli(['topics', 'create', 'x', '--partitions', 'many', '--data-dir', dir]), 2, /--partitions must be a whole number/)
      assertOneLineError(await runCli(['topics', 'frob', '--data-dir', dir]), 2, /unknown subcommand "frob"/)
      assertOneLineError(await runCli(['frobnicate']), 2, /unknown command "frobnicate"/)
      assertOneLineError(await runCli([]), 2, /missing command/)
      assertOneLineError(await runCli(['topics', 'describe', 'nope', '--data-dir', dir]), 1, /nope/)
      assertOneLineError(await runCli(['topics', 'delete', 'nope', '--data-dir', dir]), 1, /nope/)
      assertOneLineError(await runCli(['topics', 'create', 'keep', '--data-dir', dir]), 1, /keep/)
      assertOneLineError(await runCli(['topics', 'alter', 'keep', '--partitions', '1', '--config', 'retention.ms=1', '--data-dir', dir]), 1, /can only grow/)
      assertOneLineError(await runCli(['topics', 'alter', 'keep', '--data-dir', dir]), 2, /nothing to change/)
      assertOneLineError(await runCli(['topics', 'create', 'y', '--config', 'no.such.config=1', '--data-dir', dir]), 1, /no\.such\.config/)
      const info = await okJson<TopicInfo>(dir, 'topics', 'describe', 'keep')
      assert.equal(info.partitions.length, 2)
      assert.notEqual(info.configs['retention.ms'], '1')
      assert.deepEqual(await okJson(dir, 'topics', 'list'), ['keep'])
    }))

  it('prints help and the version', async () => {
    const help = await runCli(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /Usage: tributary <command>/)
    const sub = await runCli(['consume', '--help'])
    assert.equal(sub.code, 0)
    assert.match(sub.stdout, /--from-beginning/)
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    const version = await runCli(['--version'])
    assert.equal(version.stdout.trim(), pkg.version)
  })
})
