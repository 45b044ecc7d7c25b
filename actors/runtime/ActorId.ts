/**
 * Identity of a virtual actor. The canonical string (`kind/app/key`) is the placement hash
 * input, the store and Redis key suffix, the log field and the metrics label. Never pass a
 * bare string that could be a user id or a group id. The runtime does not know the kinds:
 * the app names them (each kind's `…Actor()` constructor in its protocol.ts) and gives the
 * host one factory per kind.
 */
export interface ActorId {
  /** The actor kind: which factory builds it. No '/' in it. */
  readonly kind: string
  /** SDKAppID of the tenant the actor belongs to. */
  readonly app: number
  /** UserID or GroupId, unique within (kind, app). */
  readonly key: string
}

/** Canonical string form; the inverse of `parseActorId`. */
export function actorIdString(id: ActorId): string {
  return `${id.kind}/${id.app}/${id.key}`
}

/** Parses a canonical string; throws TypeError on anything that is not one. */
export function parseActorId(s: string): ActorId {
  const a = s.indexOf('/')
  const b = s.indexOf('/', a + 1)
  const kind = s.slice(0, a)
  const app = Number(s.slice(a + 1, b))
  if (a <= 0 || b < 0 || !Number.isInteger(app)) throw new TypeError(`not an actor id: ${s}`)
  return { kind, app, key: s.slice(b + 1) }
}
