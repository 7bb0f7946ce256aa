/**
 * @module The contract every Client implementation passes: the embedded client runs it now, the
 * Kafka client will run the same cases. Only the Client interface is used, topics and groups get
 * unique names, so it also runs against a shared cluster.
 */
import { describe } from 'node:test'
import { adminCases } from './contract/admin.case.ts'
import { groupCases } from './contract/groups.case.ts'
import { type ContractClient, type ContractSetup } from './contract/harness.ts'
import { produceConsumeCases } from './contract/produce-consume.case.ts'

export type { ContractClient, ContractSetup }

/** Registers the contract suite; `setup` gives each test a fresh client and the teardown for it. */
export function runClientContractSuite(name: string, setup: ContractSetup): void {
  describe(`${name}: produce and consume`, () => produceConsumeCases(setup))
  describe(`${name}: consumer groups`, () => groupCases(setup))
  describe(`${name}: admin and errors`, () => adminCases(setup))
}
