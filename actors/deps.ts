/** What the node hands every actor through `ctx.deps`: store interfaces and config only. */
import type { ConnectionRegistry } from './connections.js'
import type { Checkpointer } from './conv/Checkpointer.js'
import type { AppRegistry } from '../src/model/apps.js'
import type { AccountStore } from '../src/store/AccountStore.js'
import type { GroupStore } from '../src/store/GroupStore.js'
import type { MessageStore } from '../src/store/MessageStore.js'

export interface ActorDeps {
  readonly messages: MessageStore
  readonly accounts: AccountStore
  readonly groups: GroupStore
  readonly apps: AppRegistry
  /** Where users' devices are connected (cluster mode keeps it in Redis). */
  readonly connections: ConnectionRegistry
  /** Messages per second each group accepts (config `groupMsgRate`; see actors/group/rate.ts). */
  readonly groupMsgRate: number
  /** The thread's checkpointer: its ShardLog and ConvIndex, shared by its conversation shards. */
  readonly checkpointer: Checkpointer
  /** Conversation shards per app (fixed for a data directory's life). */
  readonly convShards: number
}
