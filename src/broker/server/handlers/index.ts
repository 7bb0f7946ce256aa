/** @module The handler of every API we serve, by API key. */
import { ApiKey } from '../../../protocol/messages/index.ts'
import { type Handler } from '../context.ts'
import { handleAddOffsetsToTxn } from './add-offsets-to-txn.ts'
import { handleAddPartitionsToTxn } from './add-partitions-to-txn.ts'
import { handleAlterConfigs } from './alter-configs.ts'
import { handleApiVersions } from './api-versions.ts'
import { handleCreatePartitions } from './create-partitions.ts'
import { handleCreateTopics } from './create-topics.ts'
import { handleDeleteGroups } from './delete-groups.ts'
import { handleDeleteRecords } from './delete-records.ts'
import { handleDeleteTopics } from './delete-topics.ts'
import { handleDescribeConfigs } from './describe-configs.ts'
import { handleDescribeGroups } from './describe-groups.ts'
import { handleEndTxn } from './end-txn.ts'
import { handleFetch } from './fetch.ts'
import { handleFindCoordinator } from './find-coordinator.ts'
import { handleHeartbeat } from './heartbeat.ts'
import { handleInitProducerId } from './init-producer-id.ts'
import { handleJoinGroup } from './join-group.ts'
import { handleLeaveGroup } from './leave-group.ts'
import { handleListGroups } from './list-groups.ts'
import { handleListOffsets } from './list-offsets.ts'
import { handleMetadata } from './metadata.ts'
import { handleOffsetCommit } from './offset-commit.ts'
import { handleOffsetFetch } from './offset-fetch.ts'
import { handleProduce } from './produce.ts'
import { handleSaslAuthenticate } from './sasl-authenticate.ts'
import { handleSaslHandshake } from './sasl-handshake.ts'
import { handleSyncGroup } from './sync-group.ts'
import { handleTxnOffsetCommit } from './txn-offset-commit.ts'

export const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [ApiKey.Produce, handleProduce],
  [ApiKey.Fetch, handleFetch],
  [ApiKey.ListOffsets, handleListOffsets],
  [ApiKey.Metadata, handleMetadata],
  [ApiKey.OffsetCommit, handleOffsetCommit],
  [ApiKey.OffsetFetch, handleOffsetFetch],
  [ApiKey.FindCoordinator, handleFindCoordinator],
  [ApiKey.JoinGroup, handleJoinGroup],
  [ApiKey.Heartbeat, handleHeartbeat],
  [ApiKey.LeaveGroup, handleLeaveGroup],
  [ApiKey.SyncGroup, handleSyncGroup],
  [ApiKey.DescribeGroups, handleDescribeGroups],
  [ApiKey.ListGroups, handleListGroups],
  [ApiKey.SaslHandshake, handleSaslHandshake],
  [ApiKey.ApiVersions, handleApiVersions],
  [ApiKey.CreateTopics, handleCreateTopics],
  [ApiKey.DeleteTopics, handleDeleteTopics],
  [ApiKey.DeleteRecords, handleDeleteRecords],
  [ApiKey.InitProducerId, handleInitProducerId],
  [ApiKey.AddPartitionsToTxn, handleAddPartitionsToTxn],
  [ApiKey.AddOffsetsToTxn, handleAddOffsetsToTxn],
  [ApiKey.EndTxn, handleEndTxn],
  [ApiKey.TxnOffsetCommit, handleTxnOffsetCommit],
  [ApiKey.DescribeConfigs, handleDescribeConfigs],
  [ApiKey.AlterConfigs, handleAlterConfigs],
  [ApiKey.SaslAuthenticate, handleSaslAuthenticate],
  [ApiKey.CreatePartitions, handleCreatePartitions],
  [ApiKey.DeleteGroups, handleDeleteGroups],
])
