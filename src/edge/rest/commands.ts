/**
 * The command table: every REST `service/command` Parley serves, mapped to its command. A
 * command not listed here is answered 60009.
 */
import { accountCommands } from './account.js'
import type { RestCommand } from './context.js'
import { groupCommands } from './group.js'
import { openimCommands } from './openim.js'
import { openimHistoryCommands } from './openimHistory.js'
import { recentContactCommands } from './recentcontact.js'

export const restCommands: ReadonlyMap<string, RestCommand> = new Map(Object.entries({
  ...accountCommands,
  ...openimCommands,
  ...openimHistoryCommands,
  ...recentContactCommands,
  ...groupCommands,
}))
