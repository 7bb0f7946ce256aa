/**
 * @module Partition counts of topics as the embedded client last saw them: the shared cache
 * (src/client/internal/partitioner.ts) loading from the broker.
 */
import { type Broker } from '../../broker/broker.ts'
import { type Clock } from '../../util/clock.ts'
import { ErrorCode, TributaryError } from '../../util/errors.ts'
import { PartitionCountCache, unknownPartition } from '../internal/partitioner.ts'

export { unknownPartition }

export class TopicMetadata extends PartitionCountCache {
  constructor(broker: Broker, clock: Clock) {
    super(
      async (topic) => {
        if (!(await broker.hasTopic(topic))) throw new TributaryError(ErrorCode.UNKNOWN_TOPIC, `unknown topic "${topic}"`)
        return (await broker.describeTopic(topic)).partitions.length
      },
      () => clock.now(),
    )
  }
}
