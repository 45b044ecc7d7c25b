/**
 * The composition root of one node: `createNode(config) → { start(), stop() }`. Spawns
 * `config.threads` worker threads wired into a full mesh; thread 0 listens first (so port 0
 * resolves to one concrete port) and the others listen on the same port, where the kernel
 * spreads new connections between them. No module state: several nodes may share a process.
 */
import { randomBytes } from 'node:crypto'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { createMeshPorts, meshTransferList } from '../../actors/runtime/ThreadMesh.js'
import type { ParleyConfig } from '../config/schema.js'
import { freePort } from './freePort.js'
import type { WorkerCommand, WorkerData, WorkerEvent } from './messages.js'

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
  const id = `${config.nodeId}#${Date.now().toString(36)}${randomBytes(2).toString('hex')}`
  const workers: Worker[] = []
  let stopping: Promise<void> | undefined

  async function start(): Promise<{ port: number }> {
    const meshes = createMeshPorts(config.threads)
    for (const mesh of meshes) {
      const data: WorkerData = { node: id, config, mesh }
      workers.push(new Worker(WORKER_URL, { workerData: data, transferList: meshTransferList(mesh) }))
    }
    try {
      await Promise.all(workers.map((w) => expect(w, 'ready')))
      // uSockets does not share an ephemeral (port 0) listen socket with later listeners, so
      // port 0 is resolved here before any thread listens.
      const wanted = config.port === 0 ? await freePort(config.host) : config.port
      const port = (await command(workers[0], { type: 'listen', port: wanted }, 'listening')).port
      await Promise.all(workers.slice(1).map((w) => command(w, { type: 'listen', port }, 'listening')))
      return { port }
    } catch (e) {
      await stop()
      throw e
    }
  }

  function stop(): Promise<void> {
    stopping ??= (async () => {
      await Promise.allSettled(workers.map((w) => command(w, { type: 'stop' }, 'stopped')))
      await Promise.allSettled(workers.map((w) => w.terminate()))
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
      else if (e.type === 'failed') { cleanup(); reject(new Error(`worker failed: ${e.error}`)) }
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
