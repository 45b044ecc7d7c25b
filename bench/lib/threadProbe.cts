/**
 * Preloaded with `--require` into a benchmarked server process, so it runs in the main thread
 * and in every worker thread (Node 20 runs `--require` in workers, not `--import`). In each
 * worker it answers probes on the BroadcastChannel `parley-bench-probe`, sent by memory.ts
 * and profiler.ts from the main thread:
 *   {type: 'heap', id, gc}        → {type: 'heapReply', id, threadId, used, total, external}
 *   {type: 'profStart', id}       → {type: 'profReply', id, threadId}
 *   {type: 'profStop', id, dir}   → {type: 'profReply', id, threadId, file}
 * It changes nothing else in the server; the channel is unref'd so it never keeps a thread alive.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'
import { getHeapStatistics } from 'node:v8'
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads'

interface Probe { type: string; id: number; gc?: boolean; dir?: string }

if (!isMainThread) {
  const channel = new BroadcastChannel('parley-bench-probe')
  channel.unref()
  let session: Session | undefined
  const post = (m: object) => channel.postMessage(m)
  channel.onmessage = (ev: unknown) => {
    const m = (ev as { data: Probe }).data
    if (m.type === 'heap') {
      const gc = (globalThis as { gc?: () => void }).gc
      if (m.gc && gc) { gc(); gc() }
      const h = getHeapStatistics() as ReturnType<typeof getHeapStatistics> & { external_memory?: number }
      post({ type: 'heapReply', id: m.id, threadId, used: h.used_heap_size, total: h.total_heap_size, external: h.external_memory ?? 0 })
    } else if (m.type === 'profStart') {
      session = new Session()
      session.connect()
      session.post('Profiler.enable', () => {
        session!.post('Profiler.setSamplingInterval', { interval: 200 }, () => {
          session!.post('Profiler.start', () => post({ type: 'profReply', id: m.id, threadId }))
        })
      })
    } else if (m.type === 'profStop' && session && m.dir) {
      const s = session
      const dir = m.dir
      s.post('Profiler.stop', (err, res) => {
        const file = join(dir, `thread-${threadId}.cpuprofile`)
        if (!err) writeFileSync(file, JSON.stringify(res.profile))
        s.disconnect()
        session = undefined
        post({ type: 'profReply', id: m.id, threadId, file: err ? undefined : file })
      })
    }
  }
}
