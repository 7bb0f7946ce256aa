/**
 * @module Topic settings of the benchmark. Like Kafka's defaults, appends are acknowledged once
 * written and fsynced on an interval (1 s) rather than before every acknowledgement.
 */

export const EVENTS_TOPIC = 'nexmark-events'

export const INPUT_TOPIC_CONFIGS: Record<string, string> = { 'flush.mode': 'interval', 'flush.interval.ms': '1000' }
export const OUTPUT_TOPIC_CONFIGS: Record<string, string> = { 'flush.mode': 'interval', 'flush.interval.ms': '1000' }
