/**
 * Identity of a virtual actor. The canonical string (`kind/app/key`) is the placement hash
 * input, the store and Redis key suffix, the log field and the metrics label. Never pass a
 * bare string that could be a user id or a group id.
 */
export const ActorKinds = ['user', 'group', 'groupIndex'] as const
/**
 * `user`: UserSession (key UserID). `group`: Group (key GroupId). `groupIndex`: GroupIndex
 * (key UserID), the reader of one user's joined-group index.
 */
export type ActorKind = (typeof ActorKinds)[number]

export interface ActorId {
  readonly kind: ActorKind
  /** SDKAppID of the tenant the actor belongs to. */
  readonly app: number
  /** UserID or GroupId, unique within (kind, app). */
  readonly key: string
}

export function userActor(app: number, userId: string): ActorId {
  return { kind: 'user', app, key: userId }
}

export function groupActor(app: number, groupId: string): ActorId {
  return { kind: 'group', app, key: groupId }
}

export function groupIndexActor(app: number, userId: string): ActorId {
  return { kind: 'groupIndex', app, key: userId }
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
  if (a < 0 || b < 0 || !(ActorKinds as readonly string[]).includes(kind) || !Number.isInteger(app)) {
    throw new TypeError(`not an actor id: ${s}`)
  }
  return { kind: kind as ActorKind, app, key: s.slice(b + 1) }
}
