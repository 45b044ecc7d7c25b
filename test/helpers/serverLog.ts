/** A server process's structured log (JSON lines on stderr), read as it is written. Not a test file itself. */
import type { Readable } from 'node:stream'

/** One log line: pino's fields (`level`, `time`, `msg`, `node`, `thread`) and the caller's. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string }

/** The server's structured log lines (JSON on stderr), kept in order, awaitable. */
export class ServerLog {
  readonly lines: LogLine[] = []
  /** Lines that were not one JSON object (a torn or interleaved write would be one). */
  torn = 0
  private waiters: { check: () => boolean; resolve: () => void }[] = []
  private rest = ''

  constructor(stderr: Readable) {
    stderr.on('data', (d: Buffer) => {
      const parts = (this.rest + String(d)).split('\n')
      this.rest = parts.pop()!
      for (const line of parts) {
        if (!line.startsWith('{')) continue
        try {
          this.lines.push(JSON.parse(line) as LogLine)
        } catch {
          this.torn++
        }
      }
      this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true))
    })
  }

  /** The tier moves of `user`'s sockets, in order. */
  tiers(user: string): number[] {
    return this.lines.filter((l) => l.user === user && typeof l.tier === 'number').map((l) => l.tier as number)
  }

  /** The first line with message `msg` whose fields match `fields`, once it has been written. */
  async line(msg: string, fields: Record<string, unknown> = {}): Promise<LogLine> {
    const find = () => this.lines.find((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v))
    await this.until(() => find() !== undefined)
    return find()!
  }

  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ check, resolve }))
  }
}
