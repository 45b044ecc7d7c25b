/**
 * Structured logs: one JSON object per line on stderr, with a level, a message, the
 * component and the caller's fields. Level from PARLEY_LOG_LEVEL (error|warn|info|silent).
 */
/** What every component logs through; fields are merged into the line. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}


const order = { silent: 0, error: 1, warn: 2, info: 3 } as const
type Level = keyof typeof order

export function createLogger(component: Record<string, unknown>, level: string = 'info'): Logger {
  const max = order[(level in order ? level : 'info') as Level]
  const write = (lvl: Exclude<Level, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (order[lvl] > max) return
    process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level: lvl, msg, ...component, ...fields }) + '\n')
  }
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  }
}
