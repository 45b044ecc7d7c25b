/**
 * Tenants. Each app (SDKAppID) has its own secret key, admins and limits. Apps come from the
 * config file or PARLEY_APPS; on a first start with none, a demo app is created
 * (src/node/config/demoApp.ts). An app entry is declared once, as `AppSchema`: its type, its
 * check (an unknown key, a wrong type or an out-of-range value is refused, naming the key)
 * and its docs.
 */
import { userIdField } from '../core/ids.js'
import { F, inputParser, type Static } from '../core/schema.js'

export const MultiLoginPolicies = ['unlimited', 'perPlatform', 'single'] as const
/**
 * - unlimited: any number of devices on any platforms.
 * - perPlatform: one device per platform; a new login kicks the older one of its platform.
 * - single: one device in total; a new login kicks every other device.
 */
export type MultiLoginPolicy = (typeof MultiLoginPolicies)[number]

export const AppSchema = F.object({
  sdkAppId: F.int({ min: 1, max: 0xffffffff, aliases: ['sdkappid', 'SDKAppID'], why: 'must be a positive 32-bit integer', description: 'the SDKAppID' }),
  secretKey: F.string({ nonEmpty: true, description: 'the v2 (HMAC-SHA256) secret key string, used as-is as the HMAC key' }),
  admins: F.array(userIdField(), { default: ['administrator'], description: 'UserIDs that are App admins: may call the REST API and recall any message' }),
  publicKeyPem: F.opt(F.string({ description: 'PEM public key for legacy v1 (ECDSA) UserSigs; v1 tokens are refused without it' })),
  multiLogin: F.oneOf(MultiLoginPolicies, { default: 'perPlatform', description: 'how many devices a user may have online (unlimited, perPlatform, single)' }),
  recallWindowSeconds: F.uint({ default: 120, description: 'how long after sending a user may recall their own message, seconds' }),
  demo: F.opt(F.bool({ description: 'the auto-created demo app: the web page may mint its user tokens (GET /demo/usersig)' })),
}, { additionalProperties: false })

export type AppConfig = Static<typeof AppSchema>

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

const parseApp = inputParser(AppSchema, { code: 'INVALID_PARAMS', rootName: 'app' })

/**
 * Validates one app entry from JSON (`where` names it in the message, e.g. `apps[2]`). Throws
 * a ParleyError whose message names the key, e.g. `apps[2].multiLogin: must be one of …`.
 */
export function parseAppConfig(raw: unknown, where: string): AppConfig {
  return parseApp(raw, where)
}
