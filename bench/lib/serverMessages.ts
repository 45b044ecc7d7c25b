/**
 * IPC between a benchmark and a server process it forked (serverMain.ts or relayMain.ts).
 * The server sends `ready` once listening; each request (with `id`) gets one reply of that id.
 */
import type { MemorySample } from './serverProbe.js'

export type ServerRequest =
  | { id: number; type: 'mem'; gc: boolean }
  | { id: number; type: 'profStart' }
  | { id: number; type: 'profStop'; dir: string }
  | { id: number; type: 'stop' }

export type ServerMessage =
  | { type: 'ready'; port: number; threads: number }
  | { type: 'reply'; id: number; ok: true; mem?: MemorySample; files?: string[]; started?: number }
  | { type: 'reply'; id: number; ok: false; error: string }
