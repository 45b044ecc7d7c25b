/**
 * Entry point of one worker thread: its store handles, actor host, thread mesh, router, and
 * its own uWS app (gateway, REST, web page) listening on the node's shared port.
 * Talks to the parent only through typed messages (WorkerCommand / WorkerEvent). If start-up
 * fails it reports `failed` and still answers `stop`, so the parent never waits forever.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { WorkerCommand, WorkerData, WorkerEvent } from './messages.js'
import { type RunningThread, startThread } from './thread.js'
import { describeError as describe } from '../core/log.js'

const port = parentPort
if (!port) throw new Error('worker.ts must run in a worker thread')
const post = (e: WorkerEvent) => port.postMessage(e)

let thread: RunningThread | undefined
port.on('message', (cmd: WorkerCommand) => {
  if (cmd.type === 'listen') {
    if (!thread) return post({ type: 'failed', error: 'thread did not start' })
    thread.listen(cmd.port).then((p) => post({ type: 'listening', port: p }), (e: unknown) => post({ type: 'failed', error: describe(e) }))
  } else if (cmd.type === 'membership') {
    thread?.membership(cmd.snapshot)
  } else if (cmd.type === 'stop') {
    if (!thread) return post({ type: 'stopped' })
    thread.stop().then(() => post({ type: 'stopped' }), (e: unknown) => post({ type: 'failed', error: describe(e) }))
  }
})

startThread(workerData as WorkerData).then(
  (t) => { thread = t; post({ type: 'ready' }) },
  (e: unknown) => post({ type: 'failed', error: describe(e) }),
)
