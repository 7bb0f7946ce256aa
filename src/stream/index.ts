/**
 * @module The stream processor's public surface: environment, streams, time, windows, state,
 * formats, sinks and the test driver. Ready-made aggregates live in ./api/aggregates/index.ts.
 */
export { type AggregateFunction, type AccumulatorSerde } from './api/aggregate-function.ts'
export { type Change, type ChangeKind, type WindowResult } from './api/changelog.ts'
export { DataStream, StreamSink, type KeyByOptions } from './api/data-stream.ts'
export { CountEvictor, TimeEvictor, type Evictor, type EvictorContext, type TimestampedValue } from './api/evictor.ts'
export { type Format, type JsonFormatOptions, jsonFormat, stringFormat, bytesFormat } from './api/formats.ts'
export { type JobHandle, type JobMetrics, type JobResult } from './api/job-handle.ts'
export { KeyedStream } from './api/keyed-stream.ts'
export { OutputTag } from './api/output-tag.ts'
export {
  type Collector,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type KeyedRuntimeContext,
  type OnTimerContext,
  type ProcessContext,
  type ProcessFunction,
  type RuntimeContext,
  type TimerService,
} from './api/process-function.ts'
export {
  CollectingSink,
  ConsoleSink,
  DEFAULT_SINK_BATCHING,
  type ConsoleSinkOptions,
  type Sink,
  type SinkBatching,
  type SinkContext,
  type SinkWriter,
} from './api/sink.ts'
export {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type AggregatingState,
  type KeyedStateStore,
  type ListState,
  type MapState,
  type ReducingState,
  type StateTtlConfig,
  type ValueState,
} from './api/state.ts'
export {
  StreamEnvironment,
  type CollectionSourceOptions,
  type GeneratorSourceOptions,
  type StreamEnvironmentOptions,
  type TopicSourceConfig,
} from './api/stream-environment.ts'
export { TopicSink, type TopicSinkOptions } from './api/topic-sink.ts'
export {
  runParallelJob,
  type ParallelJobHandle,
  type ParallelJobOptions,
  type ParallelJobResult,
  type PipelineBuilder,
  type PipelineContext,
  type WorkerClientTransport,
  type WorkerResult,
} from './parallel/parallel-job.ts'
export { type WorkerEnvironmentOptions } from './parallel/messages.ts'
export { WorkerPool } from './parallel/worker-pool.ts'
export { type BadRecord } from './api/transformation.ts'
export {
  CountTrigger,
  EarlyFiringEventTimeTrigger,
  EventTimeTrigger,
  NeverTrigger,
  ProcessingTimeTrigger,
  PurgingTrigger,
  TriggerResult,
  type EarlyFiringOptions,
  type OnMergeContext,
  type Trigger,
  type TriggerContext,
} from './api/trigger.ts'
export {
  BoundedOutOfOrdernessWatermarks,
  PunctuatedWatermarks,
  WatermarkStrategy,
  type TimestampAssigner,
  type WatermarkGenerator,
  type WatermarkOutput,
} from './api/watermark-strategy.ts'
export { GlobalWindow, TimeWindow, type Window } from './api/window.ts'
export {
  CumulativeEventTimeWindows,
  CumulativeProcessingTimeWindows,
  EventSlidingWindows,
  EventTimeSessionWindows,
  GlobalWindows,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type WindowAssigner,
} from './api/window-assigner.ts'
export { type ProcessWindowFunction, type WindowContext, type WindowFiring } from './api/window-function.ts'
export { WindowedStream } from './api/windowed-stream.ts'
export { TestPipelineDriver, TestInput, type TestPipelineDriverOptions } from './testing/test-pipeline-driver.ts'
