/**
 * How inbox events surface to the app: one emitter event per inbox event, with the
 * conversation's peer split out. Pure.
 */
import type { InboxEvent } from '../protocol/events.js'
import type { ParleyClientEvents } from './types.js'

export type SurfacedEvent = {
  [K in keyof ParleyClientEvents]: { name: K; payload: ParleyClientEvents[K] }
}['message' | 'recall' | 'read' | 'peerRead' | 'conversation']

/**
 * The emitter event for inbox event `ev`; undefined for an event type this SDK version does
 * not know (a newer server's), which is skipped — it still moved the cursor.
 */
export function surfaceOf(ev: InboxEvent): SurfacedEvent | undefined {
  const ref = { conv: ev.conv, peer: ev.conv.slice(ev.conv.indexOf(':') + 1), inboxSeq: ev.seq }
  switch (ev.type) {
    case 'msg': {
      const payload = { ...ref, message: ev.msg, onlineOnly: ev.seq === 0 }
      return { name: 'message', payload: ev.expireAt === undefined ? payload : { ...payload, expireAt: ev.expireAt } }
    }
    case 'recall': return { name: 'recall', payload: { ...ref, msgKey: ev.msgKey, convSeq: ev.convSeq } }
    case 'read': return { name: 'read', payload: { ...ref, readSeq: ev.readSeq } }
    case 'peerRead': return { name: 'peerRead', payload: withDefined({ ...ref }, { msgKeys: ev.msgKeys, upToTime: ev.upToTime }) }
    case 'conv': return { name: 'conversation', payload: withDefined({ ...ref }, { pinned: ev.pinned, deleted: ev.deleted }) }
    default: return unknownType(ev)
  }
}

function withDefined<T extends object, U extends object>(base: T, extra: U): T & Partial<U> {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v
  return out as T & Partial<U>
}

function unknownType(_ev: never): undefined {
  return undefined
}
