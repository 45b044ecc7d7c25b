/**
 * Tenants. Each app (SDKAppID) has its own secret key, admins and limits. Apps come from the
 * config file or PARLEY_APPS; on a first start with none, a demo app is created (demoApp.ts).
 */

export const MultiLoginPolicies = ['unlimited', 'perPlatform', 'single'] as const
/**
 * - unlimited: any number of devices on any platforms.
 * - perPlatform: one device per platform; a new login kicks the older one of its platform.
 * - single: one device in total; a new login kicks every other device.
 */
export type MultiLoginPolicy = (typeof MultiLoginPolicies)[number]

export interface AppConfig {
  sdkAppId: number
  /** The v2 (HMAC-SHA256) secret key string, used as-is as the HMAC key. */
  secretKey: string
  /** UserIDs that are App admins: may call the REST API and recall any message. */
  admins: string[]
  /** PEM public key for legacy v1 (ECDSA) UserSigs; v1 tokens are refused without it. */
  publicKeyPem?: string
  multiLogin: MultiLoginPolicy
  /** How long after sending a user may recall their own message, seconds. */
  recallWindowSeconds: number
  /** The auto-created demo app: the web page may mint its tokens (GET /demo/usersig). */
  demo?: boolean
}

/** Read-only lookup of the configured apps. */
export interface AppRegistry {
  get(sdkAppId: number): AppConfig | undefined
  list(): readonly AppConfig[]
  isAdmin(sdkAppId: number, userId: string): boolean
}

export function createAppRegistry(apps: readonly AppConfig[]): AppRegistry {
  const byId = new Map(apps.map((a) => [a.sdkAppId, a]))
  const admins = new Map(apps.map((a) => [a.sdkAppId, new Set(a.admins)]))
  return {
    get: (id) => byId.get(id),
    list: () => apps,
    isAdmin: (id, user) => admins.get(id)?.has(user) ?? false,
  }
}

/** Validates one app entry from JSON; throws TypeError naming the field. */
export function parseAppConfig(raw: unknown, where: string): AppConfig {
  if (typeof raw !== 'object' || raw === null) throw new TypeError(`${where}: app must be an object`)
  const r = raw as Record<string, unknown>
  const sdkAppId = r.sdkAppId ?? r.sdkappid ?? r.SDKAppID
  if (typeof sdkAppId !== 'number' || !Number.isInteger(sdkAppId) || sdkAppId <= 0 || sdkAppId > 0xffffffff) {
    throw new TypeError(`${where}.sdkAppId: must be a positive 32-bit integer`)
  }
  if (typeof r.secretKey !== 'string' || r.secretKey.length === 0) {
    throw new TypeError(`${where}.secretKey: must be a non-empty string`)
  }
  const admins = r.admins ?? ['administrator']
  if (!Array.isArray(admins) || !admins.every((a) => typeof a === 'string' && a.length > 0)) {
    throw new TypeError(`${where}.admins: must be an array of UserIDs`)
  }
  const multiLogin = r.multiLogin ?? 'perPlatform'
  if (!MultiLoginPolicies.includes(multiLogin as MultiLoginPolicy)) {
    throw new TypeError(`${where}.multiLogin: must be one of ${MultiLoginPolicies.join(', ')}`)
  }
  const recall = r.recallWindowSeconds ?? 120
  if (typeof recall !== 'number' || !Number.isInteger(recall) || recall < 0) {
    throw new TypeError(`${where}.recallWindowSeconds: must be a non-negative integer`)
  }
  if (r.publicKeyPem !== undefined && typeof r.publicKeyPem !== 'string') {
    throw new TypeError(`${where}.publicKeyPem: must be a PEM string`)
  }
  return {
    sdkAppId,
    secretKey: r.secretKey,
    admins: admins as string[],
    publicKeyPem: r.publicKeyPem as string | undefined,
    multiLogin: multiLogin as MultiLoginPolicy,
    recallWindowSeconds: recall,
    demo: r.demo === true ? true : undefined,
  }
}
