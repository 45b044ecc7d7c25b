/**
 * What a conversation shard needs from its node: the thread's Checkpointer (which holds the
 * thread's ShardLog and ConvIndex), accounts (a send to a user who was never imported is
 * refused) and the app registry.
 */
import type { AppRegistry } from '../../src/model/apps.js'
import type { AccountStore } from '../../src/store/AccountStore.js'
import type { Checkpointer } from './Checkpointer.js'

export interface ConvShardDeps {
  readonly checkpointer: Checkpointer
  readonly accounts: AccountStore
  readonly apps: AppRegistry
  /** Shards per app (fixed for a data directory's life). */
  readonly convShards: number
}
