/** Messages between the node's parent thread and its worker threads. */
import type { MembershipSnapshot } from '../../actors/runtime/placement.js'
import type { MeshPorts } from '../../actors/runtime/ThreadMesh.js'
import type { ParleyConfig } from './config/schema.js'

export interface WorkerData {
  node: string
  config: ParleyConfig
  mesh: MeshPorts
}

export type WorkerCommand =
  /** Start listening on `port` (0 = any; thread 0 goes first, the others join its port). */
  | { type: 'listen'; port: number }
  /** Graceful stop: close the listen socket, close sockets with 4101, deactivate actors. */
  | { type: 'stop' }
  /** Cluster mode: the node's membership adopted `snapshot` (sent on every change). */
  | { type: 'membership'; snapshot: MembershipSnapshot }

export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'listening'; port: number }
  | { type: 'stopped' }
  | { type: 'failed'; error: string }
