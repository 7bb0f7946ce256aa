import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../util/clock.ts'
import { TestPipelineDriver } from '../testing/test-pipeline-driver.ts'
import { OutputTag } from './output-tag.ts'
import { type ProcessFunction } from './process-function.ts'
import { CollectingSink } from './sink.ts'
import { StreamEnvironment } from './stream-environment.ts'

test('a bounded job runs map, filter, flatMap and union to the end and resolves', async () => {
  const env = StreamEnvironment.create()
  const words = env.fromCollection(['a b', 'c', '', 'd e f'], { partitions: 2 })
  const more = env.fromCollection(['x y'])
  const sink = new CollectingSink<string>()
  words
    .union(more)
    .flatMap((line: string) => line.split(' '))
    .filter((w) => w.length > 0)
    .map((w) => w.toUpperCase())
    .sinkTo(sink)
  const result = await env.execute('words').done
  assert.deepEqual([...sink.values].sort(), ['A', 'B', 'C', 'D', 'E', 'F', 'X', 'Y'])
  assert.equal(result.cancelled, false)
  assert.equal(result.metrics['collect']?.['recordsIn'], 8)
})

test('flatMap may emit through the collector instead of returning', async () => {
  const env = StreamEnvironment.create()
  const sink = new CollectingSink<number>()
  env
    .fromCollection([1, 2, 3])
    .flatMap<number>((n, out) => {
      for (let i = 0; i < n; i++) out.collect(n)
    })
    .sinkTo(sink)
  await env.execute('fm').done
  assert.deepEqual([...sink.values].sort(), [1, 2, 2, 3, 3, 3])
})

test('process: context timestamp, watermark and side outputs', async () => {
  const clock = new ManualClock(1_000)
  const env = StreamEnvironment.create({ clock })
  const small = new OutputTag<number>('small')
  const main = new CollectingSink<string>('main')
  const side = new CollectingSink<number>('side')
  const processed = env.fromCollection([5, 50, 7, 70], { name: 'nums' }).process<string>({
    processElement(v, ctx, out) {
      if (v < 10) ctx.output(small, v)
      else out.collect(`${v}@${ctx.timestamp}/${ctx.currentWatermark()}/${ctx.currentProcessingTime()}`)
    },
  })
  processed.sinkTo(main)
  processed.getSideOutput(small).sinkTo(side)
  const driver = await TestPipelineDriver.create(env)
  const nums = driver.input<number>('nums')
  await nums.push([5, 50], [100, 200])
  await nums.watermark(150)
  await nums.push([7, 70], [300, 400])
  assert.deepEqual(main.values, ['50@200/-Infinity/1000', '70@400/150/1000'])
  assert.deepEqual(side.values, [5, 7])
  assert.deepEqual(side.timestamps, [100, 300], 'side outputs keep the element timestamp')
})

test('an element without timestamp shows ctx.timestamp undefined', async () => {
  const env = StreamEnvironment.create({ clock: new ManualClock() })
  const sink = new CollectingSink<string>()
  env.fromCollection([1], { name: 'n' }).process<string>({ processElement: (_v, ctx, out) => out.collect(String(ctx.timestamp)) }).sinkTo(sink)
  const driver = await TestPipelineDriver.create(env)
  await driver.runSources()
  assert.deepEqual(sink.values, ['undefined'])
  assert.equal(driver.finished, true)
})

test('process functions get one instance per task (fields set in open stay per task)', async () => {
  const env = StreamEnvironment.create()
  const sink = new CollectingSink<string>()
  env
    .fromCollection([1, 2, 3, 4, 5, 6], { partitions: 3 })
    .process<string>({
      task: -1,
      seen: 0,
      open(ctx) {
        this.task = ctx.taskIndex
        this.seen = 0
      },
      processElement(v, _ctx, out) {
        this.seen++
        out.collect(`${this.task}:${v}:${this.seen}`)
      },
    } as ProcessFunction<number, string> & { task: number; seen: number })
    .sinkTo(sink)
  await env.execute('per-task').done
  // Round-robin partitioning: task p gets items p+1 and p+4, each counted from 1 in its own instance.
  assert.deepEqual([...sink.values].sort(), ['0:1:1', '0:4:2', '1:2:1', '1:5:2', '2:3:1', '2:6:2'])
})

test('execute rejects a job without sink, and a failing function fails the job', async () => {
  const env = StreamEnvironment.create()
  env.fromCollection([1])
  assert.throws(() => env.execute('nothing'), /no sink/)
  const env2 = StreamEnvironment.create()
  env2
    .fromCollection([1, 2, 3])
    .map((n) => {
      if (n === 2) throw new Error('boom')
      return n
    })
    .sinkTo(new CollectingSink())
  await assert.rejects(env2.execute('fails').done, /boom/)
})

test('cancel stops an unbounded job and flushes its sinks', async () => {
  const env = StreamEnvironment.create()
  const sink = new CollectingSink<number>()
  env.fromCollection([1, 2, 3], { unbounded: true }).map((n) => n * 10).sinkTo(sink)
  const job = env.execute('unbounded')
  while (sink.values.length < 3) await new Promise((r) => setImmediate(r))
  const result = await job.cancel()
  assert.equal(result.cancelled, true)
  assert.deepEqual(sink.values, [10, 20, 30])
})

test('an aborted signal stops the job', async () => {
  const env = StreamEnvironment.create()
  env.fromGenerator((i) => i).sinkTo(new CollectingSink())
  const ac = new AbortController()
  const job = env.execute('gen', { signal: ac.signal })
  await new Promise((r) => setImmediate(r))
  ac.abort()
  const result = await job.done
  assert.equal(result.cancelled, true)
  assert.ok((result.metrics['collect']?.['recordsIn'] ?? 0) > 0)
})
