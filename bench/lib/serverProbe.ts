/**
 * The main-thread side of threadProbe.cts, used inside a benchmarked server process
 * (serverMain.ts, relayMain.ts): memory samples summed over every thread, and CPU profiles of
 * the worker threads. Replies are gathered over the BroadcastChannel until `threads` workers
 * answered or 2 s passed.
 */
import { readFileSync } from 'node:fs'
import { getHeapStatistics } from 'node:v8'
import { BroadcastChannel } from 'node:worker_threads'

export interface MemorySample {
  /** Resident set of the whole process (VmRSS), and its anonymous and file-backed parts. */
  rssBytes: number
  rssAnonBytes: number
  rssFileBytes: number
  /** V8 used heap summed over the main thread and every worker that answered. */
  heapUsedBytes: number
  /** V8 heap committed (used plus free space V8 keeps), summed likewise. */
  heapTotalBytes: number
  /** V8 external memory (ArrayBuffers, native buffers attached to JS objects), summed likewise. */
  externalBytes: number
  /** Threads included in the heap sum (main thread included). */
  threadsSampled: number
}

let nextId = 1

function ask<T extends { id: number }>(msg: object, replyType: string, threads: number): Promise<T[]> {
  const id = nextId++
  const channel = new BroadcastChannel('parley-bench-probe')
  const replies: T[] = []
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); channel.close(); resolve(replies) }
    const timer = setTimeout(done, 2000)
    channel.onmessage = (ev: unknown) => {
      const m = (ev as { data: T & { type: string } }).data
      if (m.type === replyType && m.id === id) {
        replies.push(m)
        if (replies.length >= threads) done()
      }
    }
    channel.postMessage({ ...msg, id })
  })
}

/** One sample; with `gc`, every thread collects garbage (twice) first (needs --expose-gc). */
export async function sampleMemory(workerThreads: number, gc: boolean): Promise<MemorySample> {
  const replies = workerThreads > 0
    ? await ask<{ id: number; used: number; total: number; external: number }>({ type: 'heap', gc }, 'heapReply', workerThreads)
    : []
  const g = (globalThis as { gc?: () => void }).gc
  if (gc && g) { g(); g() }
  const main = getHeapStatistics() as ReturnType<typeof getHeapStatistics> & { external_memory?: number }
  const status = readFileSync('/proc/self/status', 'utf8')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return {
    rssBytes: kb('VmRSS'),
    rssAnonBytes: kb('RssAnon'),
    rssFileBytes: kb('RssFile') + kb('RssShmem'),
    heapUsedBytes: main.used_heap_size + replies.reduce((a, r) => a + r.used, 0),
    heapTotalBytes: main.total_heap_size + replies.reduce((a, r) => a + r.total, 0),
    externalBytes: (main.external_memory ?? 0) + replies.reduce((a, r) => a + r.external, 0),
    threadsSampled: 1 + replies.length,
  }
}

/** Starts the CPU profiler in every worker thread; resolves with how many started. */
export async function startWorkerProfiles(workerThreads: number): Promise<number> {
  return (await ask({ type: 'profStart' }, 'profReply', workerThreads)).length
}

/** Stops the worker profilers; each writes `dir/thread-<id>.cpuprofile`. Resolves with the files. */
export async function stopWorkerProfiles(workerThreads: number, dir: string): Promise<string[]> {
  const replies = await ask<{ id: number; file?: string }>({ type: 'profStop', dir }, 'profReply', workerThreads)
  return replies.flatMap((r) => (r.file ? [r.file] : []))
}
