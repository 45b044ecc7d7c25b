/**
 * The parent side of the broadcast benchmark's load: forks the member processes
 * (roomClient.ts) and the publisher process (roomPublisher.ts), sends them commands
 * (roomProtocol.ts), and closes the saturation phase's loop: each member process reports
 * `progress` (its sampled members have all seen message k); the minimum over all member
 * processes goes to the publisher as `ack`.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { AckMessage, MemberCommand, ProgressMessage, PublisherCommand, RoomReply } from './roomProtocol.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** One forked process answering `{id, …}` commands with one `RoomReply` each. */
class Child<C extends { id: number }> {
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  constructor(readonly proc: ChildProcess, onOther: (m: { type?: string }) => void) {
    proc.on('message', (r: RoomReply | { type?: string }) => {
      if (!('id' in r)) return onOther(r)
      const w = this.waiting.get(r.id)
      if (!w) return
      this.waiting.delete(r.id)
      if (r.ok) w.resolve(r.result)
      else w.reject(new Error(r.error))
    })
    proc.on('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`room load process exited with ${signal ?? code}`))
      this.waiting.clear()
    })
  }

  call<T>(cmd: DistributiveOmit<C, 'id'>): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      if (!this.proc.connected) return reject(new Error('room load process is gone'))
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.proc.send({ ...cmd, id })
    })
  }

  stop(): Promise<void> {
    const p = this.proc
    return new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve()
      const timer = setTimeout(() => p.kill('SIGKILL'), 10_000)
      p.once('exit', () => { clearTimeout(timer); resolve() })
      if (p.connected) p.disconnect()
      else p.kill('SIGTERM')
    })
  }
}

export type MemberCmd = DistributiveOmit<MemberCommand, 'id'>
export type PublisherCmd = DistributiveOmit<PublisherCommand, 'id'>

export class RoomClients {
  private readonly members: Child<MemberCommand>[]
  private readonly publisher: Child<PublisherCommand>
  /** Per member process: the highest k its sampled members have all seen in `phase`. */
  private progress: number[] = []
  private phase = -1
  private acked = -1

  constructor(memberProcs: number) {
    const script = (f: string) => fileURLToPath(new URL(f, import.meta.url))
    const start = (f: string) => fork(script(f), [], { execArgv: [], stdio: ['ignore', 2, 2, 'ipc'] })
    this.members = Array.from({ length: memberProcs }, (_, i) =>
      new Child<MemberCommand>(start('./roomClient.js'), (m) => this.onProgress(i, m as ProgressMessage)))
    this.publisher = new Child<PublisherCommand>(start('./roomPublisher.js'), () => undefined)
  }

  get size(): number {
    return this.members.length
  }

  /** Every load process: the member processes, then the publisher (for CPU accounting). */
  get pids(): number[] {
    return [...this.members.map((c) => c.proc.pid!), this.publisher.proc.pid!]
  }

  /** Sends `cmdFor(i)` to every member process at once; results in process order. */
  all<T>(cmdFor: (i: number) => MemberCmd): Promise<T[]> {
    return Promise.all(this.members.map((c, i) => c.call<T>(cmdFor(i))))
  }

  pub<T>(cmd: PublisherCmd): Promise<T> {
    return this.publisher.call<T>(cmd)
  }

  /** Starts forwarding progress of `phase` (earlier phases' reports are ignored). */
  trackPhase(phase: number): void {
    this.phase = phase
    this.progress = this.members.map(() => -1)
    this.acked = -1
  }

  async stop(): Promise<void> {
    await Promise.all([...this.members.map((c) => c.stop()), this.publisher.stop()])
  }

  private onProgress(i: number, m: ProgressMessage): void {
    if (m.type !== 'progress' || m.phase !== this.phase) return
    this.progress[i] = Math.max(this.progress[i], m.upTo)
    const min = Math.min(...this.progress)
    if (min <= this.acked) return
    this.acked = min
    if (this.publisher.proc.connected) this.publisher.proc.send({ type: 'ack', phase: this.phase, upTo: min } satisfies AckMessage)
  }
}
