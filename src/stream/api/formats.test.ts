import { test } from 'node:test'
import assert from 'node:assert/strict'
import { type ConsumerRecord } from '../../client/types.ts'
import { ManualClock } from '../../util/clock.ts'
import { isTributaryError } from '../../util/errors.ts'
import { TestPipelineDriver } from '../testing/test-pipeline-driver.ts'
import { jsonFormat, stringFormat } from './formats.ts'
import { OutputTag } from './output-tag.ts'
import { CollectingSink } from './sink.ts'
import { StreamEnvironment } from './stream-environment.ts'
import { type BadRecord } from './transformation.ts'
import { WatermarkStrategy } from './watermark-strategy.ts'

interface Ride {
  id: number
  fare: number
}

type KeyedRide = Ride & { key: string | undefined }

const isRide = (v: unknown): v is Ride => typeof v === 'object' && v !== null && typeof (v as Ride).id === 'number' && typeof (v as Ride).fare === 'number'

test('json format round-trips and rejects bad bytes with INVALID_RECORD', () => {
  const f = jsonFormat<Ride>({ validate: isRide })
  assert.deepEqual(f.deserialize(f.serialize({ id: 1, fare: 2.5 })), { id: 1, fare: 2.5 })
  assert.throws(() => f.deserialize(Buffer.from('{oops')), (e) => isTributaryError(e, 'INVALID_RECORD'))
  assert.throws(() => f.deserialize(Buffer.from('{"id":"x"}')), (e) => isTributaryError(e, 'INVALID_RECORD'))
  assert.throws(() => jsonFormat().serialize(undefined), (e) => isTributaryError(e, 'INVALID_RECORD'))
  assert.equal(stringFormat().deserialize(stringFormat().serialize('héllo')), 'héllo')
})

test('topic source: bad records go to the error side output, counted; good ones carry the record timestamp', async () => {
  const env = StreamEnvironment.create({ clock: new ManualClock() })
  const errors = new OutputTag<BadRecord>('bad')
  const good = new CollectingSink<Ride>('good')
  const bad = new CollectingSink<BadRecord>('bad')
  const rides = env.fromTopic('rides', { format: jsonFormat<Ride>({ validate: isRide }), errors })
  rides.sinkTo(good)
  rides.getSideOutput(errors).sinkTo(bad)
  const d = await TestPipelineDriver.create(env)
  await d.input('rides').pushRecords([
    { value: '{"id":1,"fare":10}', timestamp: 1000 },
    { value: 'not json', timestamp: 1001, offset: 7 },
    { value: null, timestamp: 1002 },
    { value: '{"id":2,"fare":12}', timestamp: 1003 },
  ])
  assert.deepEqual(good.values, [{ id: 1, fare: 10 }, { id: 2, fare: 12 }])
  assert.deepEqual(good.timestamps, [1000, 1003])
  assert.deepEqual(bad.values.map((b) => [b.offset, b.value?.toString() ?? null]), [[7, 'not json'], [2, null]])
  assert.match(bad.values[0]?.error ?? '', /not JSON/)
  assert.equal(d.metrics()['rides']?.['badRecords'], 2)
})

test('topic source without error output drops bad records and counts them; watermarks at the source', async () => {
  const env = StreamEnvironment.create({ clock: new ManualClock(), autoWatermarkIntervalMs: 100 })
  const out = new CollectingSink<string>()
  env
    .fromTopic('rides', {
      format: jsonFormat<Ride>(),
      toElement: (ride: Ride, record: ConsumerRecord): KeyedRide => ({ ...ride, key: record.key?.toString() }),
      watermarks: WatermarkStrategy.forMonotonousTimestamps<KeyedRide>(),
    })
    .process<string>({ processElement: (r, ctx, o) => o.collect(`${r.key}:${r.id}@${ctx.timestamp}/${ctx.currentWatermark()}`) })
    .sinkTo(out)
  const d = await TestPipelineDriver.create(env)
  const input = d.input('rides')
  await input.pushRecords([{ key: 'k1', value: '{"id":1}', timestamp: 50 }, { value: '{', timestamp: 60 }])
  await d.advanceProcessingTime(100)
  await input.pushRecords([{ key: 'k2', value: '{"id":2}', timestamp: 70 }])
  assert.deepEqual(out.values, ['k1:1@50/-Infinity', 'k2:2@70/49'], 'the dropped bad record (at 60) does not move the watermark')
  assert.equal(d.metrics()['rides']?.['badRecordsDropped'], 1)
})
