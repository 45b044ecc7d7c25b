/**
 * The ops a logged-in socket may send, each mapped to actor requests. Frames arrive here
 * already validated (validate.ts); this adds only what needs the socket's identity.
 */
import { randomInt } from 'node:crypto'
import { userActor, type UserProtocol } from '../../../actors/user/protocol.js'
import type { Router } from '../../../actors/runtime/types.js'
import type { RequestOf } from '../../../actors/runtime/protocol.js'
import { convsOfUser, deleteC2C, historyC2C, pinC2C, recallC2C, readC2C, receiptC2C, sendC2C, syncShard } from '../../services/c2c.js'
import { checkBodySize } from '../../protocol/elements.js'
import type { ClientFrame } from '../../protocol/frames.js'
import type { SendPayload } from '../../protocol/sessionFrames.js'
import { Limits } from '../../core/limits.js'
import type { C2CSendRequest } from '../../model/message.js'
import { isGroupFrame } from '../../protocol/groupFrames.js'
import { dispatchGroup } from './groupOps.js'
import type { SocketState } from './SocketTable.js'

type LiveFrame = Exclude<ClientFrame, { op: 'login' } | { op: 'ping' } | { op: 'guest' }>

/** The ops that count against a connection's sends in flight (maxSendsInFlight, Gateway). */
export function isSend(f: ClientFrame): f is Extract<ClientFrame, { op: 'send' | 'groupSend' }> {
  return f.op === 'send' || f.op === 'groupSend'
}

/** Runs one op for the logged-in socket `s`; resolves with the response data. */
export async function dispatchLive(router: Router, s: SocketState, f: LiveFrame, nowMs: number): Promise<unknown> {
  const { app, userId } = s
  const ask = <K extends keyof UserProtocol & string>(msg: RequestOf<UserProtocol, K>) => router.ask(userActor(app, userId), msg)
  if (isGroupFrame(f)) return dispatchGroup(router, app, userId, f, nowMs)
  switch (f.op) {
    case 'sync': return syncShard(router, app, userId, f.sh, f.after, f.limit ?? Limits.maxPageSize)
    case 'send': return sendC2C(router, app, userId, toSendRequest(f), nowMs, s.conn)
    case 'history': return historyC2C(router, app, userId, f.peer, { ...(f.before !== undefined ? { before: f.before } : {}), limit: f.limit ?? Limits.pageSize })
    case 'recall': return recallC2C(router, app, userId, f.peer, f.msgKey, false)
    case 'read': return readC2C(router, app, userId, f.peer, f.seq)
    case 'receipt': return receiptC2C(router, app, userId, f.peer, f.msgKeys)
    case 'convs': return convsOfUser(router, app, userId)
    case 'pin': return pinC2C(router, app, userId, f.peer, f.pinned)
    case 'deleteConv': return deleteC2C(router, app, userId, f.peer, f.clearHistory ?? false)
    case 'logout': return ask({ kind: 'detach', conn: s.conn! })
    default: return assertNever(f)
  }
}

/** Fills defaults of a socket send: random MsgRandom/MsgSeq if absent; checks the 12 KB limit. */
export function toSendRequest(p: SendPayload): C2CSendRequest {
  checkBodySize(p.body, p.cloudCustomData)
  return {
    to: p.to,
    msgSeq: p.msgSeq ?? randomInt(0, 0xffffffff),
    random: p.random ?? randomInt(0, 0xffffffff),
    body: p.body,
    cloudCustomData: p.cloudCustomData,
    syncOtherMachine: p.syncOtherMachine ?? 1,
    lifeTime: p.lifeTime,
    onlineOnly: p.onlineOnly ?? false,
    needReadReceipt: p.needReadReceipt ?? false,
    noUnread: p.noUnread ?? false,
    noLastMsg: p.noLastMsg ?? false,
  }
}

function assertNever(x: never): never {
  throw new TypeError(`unhandled op ${(x as { op: string }).op}`)
}
