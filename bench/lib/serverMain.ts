/**
 * A Parley node in its own process for benchmarks: the real composition root (`createNode`)
 * with the configuration from the environment exactly as `parley start` reads it (PARLEY_*),
 * so every default applies unless the benchmark sets a variable. Forked by servers.ts with
 * `--require threadProbe.cjs --expose-gc` so memory and profiles cover every worker thread.
 */
import { loadConfig } from '../../src/node/config/load.js'
import { createNode } from '../../src/node/createNode.js'
import { serveBenchIpc } from './serverIpc.js'

const config = loadConfig({ env: process.env })
const node = createNode(config)
const { port } = await node.start()
serveBenchIpc(port, config.threads, () => node.stop())
