/**
 * What `parley start` prints once the node listens: the address actually bound (for a wildcard
 * host, that it listens on every interface, and the loopback URL to open on this machine) and,
 * with the demo app, its SDKAppID, how to get tokens, what the demo exposes to anyone who can
 * reach the port and how to turn it off. Pure: the CLI writes the text.
 */
import { resolve } from 'node:path'

export interface BannerInput {
  /** `config.host` as bound. */
  readonly host: string
  readonly port: number
  readonly threads: number
  readonly dataDir: string
  readonly demo?: {
    readonly sdkAppId: number
    /** Whether this start created the demo app (else it was loaded from the data directory). */
    readonly created: boolean
    readonly keyPath: string
    readonly admin: string
    readonly adminSig: string
  }
}

/** Wildcard listen addresses and the loopback address that reaches each from this machine. */
const WILDCARDS: Readonly<Record<string, string>> = { '0.0.0.0': '127.0.0.1', '::': '::1' }

function url(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`
}

export function startBanner(b: BannerInput): string {
  const loopback = WILDCARDS[b.host]
  const local = url(loopback ?? b.host, b.port)
  const where = `(${b.threads} threads, data in ${resolve(b.dataDir)})`
  const lines = [loopback
    ? `Parley listening on all interfaces (${b.host}) port ${b.port} ${where}; on this machine open ${local}`
    : `Parley listening on ${local} ${where}`]
  if (b.demo) {
    const d = b.demo
    const reach = loopback ? `port ${b.port} on any interface of this machine` : local
    lines.push(
      `${d.created ? 'Created' : 'Using'} the demo app: SDKAppID ${d.sdkAppId} (key in ${resolve(d.keyPath)})`,
      `  user token:  npx parley usersig <userId>`,
      `  admin token (${d.admin}): ${d.adminSig}`,
      `  chat in a browser: ${local}`,
      `  Exposed: GET /demo/usersig hands a token for any UserID except the app's admins to anyone who can reach ${reach}.`,
      `  To turn the demo off, configure your own app (PARLEY_APPS or "apps" in a config file): the demo app is then not loaded and /demo/usersig answers 404.`,
    )
  }
  return lines.join('\n') + '\n'
}
