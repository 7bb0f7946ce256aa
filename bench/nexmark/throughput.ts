/**
 * @module One query over the pre-loaded events topic as a bounded job: from the start of the job
 * (consumer group join included) until its sink wrote and had acknowledged the last output record.
 * With `workers` > 0 the job runs over that many worker threads (runParallelJob), each reaching the
 * main thread's embedded broker through a remote client, and keyBy goes through repartition topics.
 * With a pool the threads are kept between queries (as a cluster's task managers are).
 */
import { remoteClientTransport } from '../../src/client/remote/index.ts'
import { type Client } from '../../src/client/types.ts'
import { StreamEnvironment } from '../../src/stream/api/stream-environment.ts'
import { runParallelJob } from '../../src/stream/parallel/parallel-job.ts'
import { type WorkerPool } from '../../src/stream/parallel/worker-pool.ts'
import { type EventFormatName } from './event-format.ts'
import { type Measured, measure } from './measure.ts'
import { type NexmarkJobArgs, buildNexmarkPipeline } from './pipeline.ts'
import { type QueryName } from './queries.ts'
import { OUTPUT_TOPIC_CONFIGS } from './topics.ts'

/** Sink batches: many records per produce call, and below the 1 MiB max.message.bytes. */
export const THROUGHPUT_SINK_BATCHING = { maxRecords: 2048, maxDelayMs: 100, maxInFlight: 4 }

export interface QueryRun extends Measured {
  query: string
  outputs: number
}

export interface QueryOptions {
  query: QueryName
  /** Names the job (and its consumer group) and the output topic `<job>-out`. */
  job: string
  input: string
  partitions: number
  events: number
  /** 0: the job's tasks on this thread's event loop; else worker threads. */
  workers: number
  /** Worker threads kept between the queries (started by the first job that needs them). */
  pool?: WorkerPool
  format: EventFormatName
}

export async function runQuery(client: Client, o: QueryOptions): Promise<QueryRun> {
  const output = `${o.job}-out`
  const admin = client.admin()
  try {
    await admin.createTopics([{ name: output, partitions: o.partitions, configs: OUTPUT_TOPIC_CONFIGS }])
    const args: NexmarkJobArgs = { query: o.query, input: o.input, output, bounded: true, batching: THROUGHPUT_SINK_BATCHING, format: o.format }
    let run: () => Promise<unknown>
    if (o.workers === 0) {
      const env = StreamEnvironment.create({ client, repartition: 'memory' })
      buildNexmarkPipeline(env, { args })
      run = () => env.execute(o.job).done
    } else {
      const options = {
        name: o.job,
        module: new URL('./pipeline.ts', import.meta.url),
        export: 'buildNexmarkPipeline',
        parallelism: o.workers,
        transport: remoteClientTransport(client),
        args,
        ...(o.pool === undefined ? {} : { pool: o.pool }),
      }
      run = () => runParallelJob(options).done
    }
    const m = await measure(o.events, async () => {
      await run()
    })
    const ends = await admin.listOffsets(output, 'latest')
    return { ...m, query: o.query, outputs: ends.reduce((n, p) => n + p.offset, 0) }
  } finally {
    await admin.close()
  }
}
