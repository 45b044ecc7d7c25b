/**
 * The parent side of the load clients: forks `count` loadClient.ts processes and sends each
 * its commands (loadProtocol.ts). Each process is single-threaded and owns a slice of the
 * sessions; together they stay far below the 20,000 open files per process.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { LoadCommand, LoadReply } from './loadProtocol.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
export type Command = DistributiveOmit<LoadCommand, 'id'>

export class LoadClients {
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  private constructor(private readonly procs: ChildProcess[]) {
    for (const p of procs) {
      p.on('message', (r: LoadReply) => {
        const w = this.waiting.get(r.id)
        if (!w) return
        this.waiting.delete(r.id)
        if (r.ok) w.resolve(r.result)
        else w.reject(new Error(r.error))
      })
      p.on('exit', (code) => {
        if (this.waiting.size === 0) return
        for (const w of this.waiting.values()) w.reject(new Error(`load client exited with ${code}`))
        this.waiting.clear()
      })
    }
  }

  static start(count: number): LoadClients {
    const script = fileURLToPath(new URL('./loadClient.js', import.meta.url))
    const procs = Array.from({ length: count }, () =>
      fork(script, [], { execArgv: [], stdio: ['ignore', 2, 2, 'ipc'] }))
    return new LoadClients(procs)
  }

  get size(): number {
    return this.procs.length
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid!)
  }

  call<T>(i: number, cmd: Command): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.procs[i].send({ ...cmd, id } as LoadCommand)
    })
  }

  /** Sends `cmdFor(i)` to every process at once; resolves with the results in process order. */
  all<T>(cmdFor: (i: number) => Command): Promise<T[]> {
    return Promise.all(this.procs.map((_, i) => this.call<T>(i, cmdFor(i))))
  }

  /** Disconnects every process (each exits, destroying its sockets); kills any left after 10 s. */
  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve()
      const timer = setTimeout(() => p.kill('SIGKILL'), 10_000)
      p.once('exit', () => { clearTimeout(timer); resolve() })
      if (p.connected) p.disconnect()
      else p.kill('SIGTERM')
    })))
  }
}

/** Splits `total` sessions over `procs` processes into contiguous ranges, even-sized for pairs. */
export function splitSessions(total: number, procs: number, even: boolean): Array<{ first: number; count: number }> {
  const unit = even ? 2 : 1
  const units = Math.floor(total / unit)
  const out: Array<{ first: number; count: number }> = []
  let first = 0
  for (let i = 0; i < procs; i++) {
    const n = (Math.floor(units / procs) + (i < units % procs ? 1 : 0)) * unit
    out.push({ first, count: n })
    first += n
  }
  return out
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat, everything but idle and iowait). */
export async function machineBusySeconds(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number)
  return (user + nice + system + irq + softirq + steal) / 100
}

/**
 * Waits until the rest of the machine is quiet (below `maxCores` busy over a 2 s sample,
 * with none of this benchmark's processes running yet), for at most `maxWaitS` seconds.
 * Resolves with the last sample, so a result can say how busy the machine was.
 */
export async function waitForQuiet(maxWaitS: number, maxCores: number, report: (m: string) => void): Promise<number> {
  const deadline = performance.now() + maxWaitS * 1000
  for (;;) {
    const a = await machineBusySeconds()
    await new Promise((r) => setTimeout(r, 2000))
    const busy = ((await machineBusySeconds()) - a) / 2
    if (busy <= maxCores || performance.now() >= deadline) {
      if (busy > maxCores) report(`machine still busy (${busy.toFixed(2)} cores used by other processes); measuring anyway`)
      return Math.round(busy * 100) / 100
    }
    report(`waiting for a quiet machine: other processes use ${busy.toFixed(2)} cores`)
  }
}
