/**
 * The composition root of one node: `createNode(config) → { start(), stop() }`. Spawns
 * `config.threads` worker threads wired into a full mesh; thread 0 listens first (so port 0
 * resolves to one concrete port) and the others listen on the same port, where the kernel
 * spreads new connections between them. A port another process already listens on is
 * refused at start (portProbe.ts). No module state: several nodes may share a process.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { createMeshPorts, meshTransferList } from '../../actors/runtime/ThreadMesh.js'
import { makeNodeId } from '../../actors/runtime/nodeId.js'
import type { ParleyConfig } from './config/schema.js'
import { deploymentOf } from './config/deployment.js'
import { createLogger } from './log.js'
import { freePort } from './freePort.js'
import { assertPortFree } from './portProbe.js'
import type { WorkerCommand, WorkerData, WorkerEvent } from './messages.js'
import { type NodeServices, startNodeServices } from './services.js'

/** The worker entry: the sibling file with this module's extension (.js built, .ts under a loader). */
const WORKER_URL = new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

export interface ParleyNode {
  /** The node id with its boot incarnation, as it appears in connection refs. */
  readonly id: string
  /** Starts every thread and listens; resolves with the bound port. */
  start(): Promise<{ port: number }>
  /** Graceful stop: sockets closed with 4101, actors deactivated, stores closed. Idempotent. */
  stop(): Promise<void>
}

export function createNode(config: ParleyConfig): ParleyNode {
  const id = makeNodeId(config.nodeId, config.threads)
  const log = createLogger({ node: id, thread: 'main' }, config.logLevel)
  const workers: Worker[] = []
  let services: NodeServices | undefined
  let stopping: Promise<void> | undefined

  /**
   * Order: services answer (else refuse to start, naming the service) → threads ready (each
   * with its stores and, in cluster mode, its node bus subscribed) → this node joins the
   * membership and every thread adopts the first snapshot → threads listen.
   */
  async function start(): Promise<{ port: number }> {
    const deployment = deploymentOf(config)
    try {
      // A port another process listens on is refused before any store or service is touched,
      // and probed again just before thread 0 listens to narrow the window to one message.
      if (config.port !== 0) await assertPortFree(config.host, config.port)
      services = await startNodeServices(deployment, id, log)
      const meshes = createMeshPorts(config.threads)
      for (const mesh of meshes) {
        const data: WorkerData = { node: id, config, mesh }
        workers.push(new Worker(WORKER_URL, { workerData: data, transferList: meshTransferList(mesh) }))
      }
      await Promise.all(workers.map((w) => expect(w, 'ready')))
      await services.join((snapshot) => { for (const w of workers) w.postMessage({ type: 'membership', snapshot } satisfies WorkerCommand) })
      // uSockets does not share an ephemeral (port 0) listen socket with later listeners, so
      // port 0 is resolved here before any thread listens.
      const wanted = config.port === 0 ? await freePort(config.host) : config.port
      if (config.port !== 0) await assertPortFree(config.host, config.port)
      const port = (await command(workers[0], { type: 'listen', port: wanted }, 'listening')).port
      await Promise.all(workers.slice(1).map((w) => command(w, { type: 'listen', port }, 'listening')))
      return { port }
    } catch (e) {
      await stop()
      throw e
    }
  }

  /** Leaves the membership first (others take over this node's actors), then stops the threads. */
  function stop(): Promise<void> {
    stopping ??= (async () => {
      await services?.leave()
      await Promise.allSettled(workers.map((w) => command(w, { type: 'stop' }, 'stopped')))
      await Promise.allSettled(workers.map((w) => w.terminate()))
      await log.flush()
    })()
    return stopping
  }

  return { id, start, stop }
}

type EventOf<T extends WorkerEvent['type']> = Extract<WorkerEvent, { type: T }>

/** Resolves on the worker's next `type` event; rejects on `failed`, an error or an exit. */
function expect<T extends WorkerEvent['type']>(w: Worker, type: T): Promise<EventOf<T>> {
  return new Promise((resolve, reject) => {
    const cleanup = () => { w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit) }
    const onMessage = (e: WorkerEvent) => {
      if (e.type === type) { cleanup(); resolve(e as EventOf<T>) }
      else if (e.type === 'failed') {
        cleanup()
        // The first line names the cause (e.g. an unreachable service); the rest is its stack.
        const [first, ...stack] = e.error.split('\n')
        reject(Object.assign(new Error(`worker failed: ${first.replace(/^Error: /, '')}`), { workerStack: stack.join('\n') }))
      }
    }
    const onError = (err: Error) => { cleanup(); reject(err) }
    const onExit = (code: number) => { cleanup(); reject(new Error(`worker exited with code ${code}`)) }
    w.on('message', onMessage)
    w.on('error', onError)
    w.on('exit', onExit)
  })
}

function command<T extends WorkerEvent['type']>(w: Worker, cmd: WorkerCommand, reply: T): Promise<EventOf<T>> {
  const p = expect(w, reply)
  w.postMessage(cmd)
  return p
}
