/**
 * The server-process side of serverMessages.ts: announces `ready`, answers memory and
 * profiling requests, and stops on `stop` or when the benchmark disappears (IPC closed).
 * Only for benchmark entry points (serverMain.ts, relayMain.ts), which may exit the process.
 */
import type { ServerMessage, ServerRequest } from './serverMessages.js'
import { sampleMemory, startWorkerProfiles, stopWorkerProfiles } from './serverProbe.js'

export function serveBenchIpc(port: number, workerThreads: number, stop: () => Promise<void>): void {
  const send = process.send?.bind(process)
  if (!send) throw new Error('a benchmark server must be forked with an IPC channel')
  let stopping = false
  const shutdown = async (id?: number) => {
    if (stopping) return
    stopping = true
    try { await stop() } catch (e) { process.stderr.write(`server stop failed: ${String(e)}\n`) }
    if (id !== undefined && process.connected) send({ type: 'reply', id, ok: true } satisfies ServerMessage, () => process.exit(0))
    else process.exit(0)
  }
  const answer = async (req: Exclude<ServerRequest, { type: 'stop' }>): Promise<ServerMessage> => {
    switch (req.type) {
      case 'mem': return { type: 'reply', id: req.id, ok: true, mem: await sampleMemory(workerThreads, req.gc) }
      case 'profStart': return { type: 'reply', id: req.id, ok: true, started: await startWorkerProfiles(workerThreads) }
      case 'profStop': return { type: 'reply', id: req.id, ok: true, files: await stopWorkerProfiles(workerThreads, req.dir) }
    }
  }
  process.on('message', (req: ServerRequest) => {
    if (req.type === 'stop') return void shutdown(req.id)
    answer(req).then(send, (e: unknown) => send({ type: 'reply', id: req.id, ok: false, error: String(e) } satisfies ServerMessage))
  })
  process.on('disconnect', () => void shutdown())
  send({ type: 'ready', port, threads: workerThreads } satisfies ServerMessage)
}
