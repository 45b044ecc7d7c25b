/**
 * The server's programmatic API, the root package's entry (`import { createNode, loadConfig }
 * from 'parley'`): load a config — file, `PARLEY_…` environment, overrides; every field in the
 * README's configuration table — then `createNode(config).start()`, and `stop()` when done.
 * The CLI (cli.ts) is this plus argv and signals. The client SDK is its own package
 * (src/client, `parley-im-client`).
 */
export { createNode, type ParleyNode } from './createNode.js'
export { ConfigError, loadConfig } from './config/load.js'
export type { ParleyConfig } from './config/schema.js'
export type { AppConfig } from '../model/apps.js'
