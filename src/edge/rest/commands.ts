/**
 * The command table: every REST `service/command` Parley serves, mapped to its handler. A
 * command not listed here is answered 60009.
 */
import { accountCommands } from './account.js'
import type { RestHandler } from './context.js'
import { groupCommands } from './group.js'
import { openimCommands } from './openim.js'
import { openimHistoryCommands } from './openimHistory.js'
import { recentContactCommands } from './recentcontact.js'

export const restCommands: ReadonlyMap<string, RestHandler> = new Map(Object.entries({
  ...accountCommands,
  ...openimCommands,
  ...openimHistoryCommands,
  ...recentContactCommands,
  ...groupCommands,
}))
