/** What the node hands every actor through `ctx.deps`: store interfaces and app config only. */
import type { AppRegistry } from '../src/config/apps.js'
import type { AccountStore } from '../src/store/AccountStore.js'
import type { MessageStore } from '../src/store/MessageStore.js'

export interface ActorDeps {
  readonly messages: MessageStore
  readonly accounts: AccountStore
  readonly apps: AppRegistry
}
