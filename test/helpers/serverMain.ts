/**
 * A Parley node as its own OS process, for tests that must kill it (`kill -9`) and start it
 * again: configured from the environment (PARLEY_DATA_DIR, PARLEY_PORT, PARLEY_APPS,
 * PARLEY_THREADS, …) exactly like `parley start`, run from TypeScript under the loader of the
 * test runner that spawned it (see serverProcess.ts). Prints `listening <port>` once it
 * accepts connections; stops gracefully on SIGTERM. Not a test file itself.
 */
import { loadConfig } from '../../src/node/config/load.js'
import { createNode } from '../../src/node/createNode.js'

const node = createNode(loadConfig({ env: process.env }))
const { port } = await node.start()
process.stdout.write(`listening ${port}\n`)
process.once('SIGTERM', () => {
  node.stop().then(() => process.exit(0), (e: unknown) => {
    process.stderr.write(`stop failed: ${String(e)}\n`)
    process.exit(1)
  })
})
