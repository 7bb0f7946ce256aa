import assert from 'node:assert/strict'
import { test } from 'node:test'
import { protocolErrorsCodesById } from '@platformatic/kafka'
import { ErrorCode } from '../util/errors.ts'
import { KafkaError, kafkaErrorFor, kafkaErrorName } from './error-codes.ts'

test('the table agrees with an independent client table on every code both know', () => {
  // @platformatic/kafka generates its table from Kafka's sources; -1 is absent there.
  const theirs = protocolErrorsCodesById as Record<string, string>
  let compared = 0
  for (const [name, code] of Object.entries(KafkaError)) {
    const other = theirs[String(code)]
    if (other === undefined) continue
    assert.equal(name, other, `code ${code}`)
    compared++
  }
  assert.ok(compared >= 120, `compared ${compared}`)
})

test('codes and names map both ways, and our errors map onto Kafka codes', () => {
  assert.equal(kafkaErrorName(35), 'UNSUPPORTED_VERSION')
  assert.equal(kafkaErrorName(-1), 'UNKNOWN_SERVER_ERROR')
  assert.equal(kafkaErrorName(9999), undefined)
  assert.equal(new Set(Object.values(KafkaError)).size, Object.keys(KafkaError).length, 'no code twice')
  assert.equal(kafkaErrorFor(ErrorCode.UNKNOWN_TOPIC), KafkaError.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal(kafkaErrorFor(ErrorCode.REBALANCE_IN_PROGRESS), KafkaError.REBALANCE_IN_PROGRESS)
  assert.equal(kafkaErrorFor(ErrorCode.ILLEGAL_STATE), KafkaError.UNKNOWN_SERVER_ERROR)
})
