/**
 * The group ops of a logged-in socket (frames in src/protocol/groupFrames.ts), each run
 * through the group coordinator (src/services/group.ts) as the socket's user. Replies
 * carry the group's records as the actor returns them (docs/protocol.md, "Groups");
 * notice lists are internal and never returned.
 */
import { randomInt } from 'node:crypto'
import type { GroupChanges, GroupProtocol, GroupView, MembersPage, Notices, Operator, SendReply, UnreadView } from '../../../actors/group/protocol.js'
import type { Router } from '../../../actors/runtime/types.js'
import {
  addGroupMembers, askAndNotify, askGroup, buildGroupRecord, createGroup, joinedGroups, recallGroupMessage, sendGroupMessage,
} from '../../services/group.js'
import type { GroupFrame, GroupProfileFields } from '../../protocol/groupFrames.js'
import { Limits } from '../../core/limits.js'
import { mapLimit } from '../../core/mapLimit.js'
import { groupInfo, joinRequest, membersPage } from './groupViews.js'
import type { RequestOf } from '../../../actors/runtime/protocol.js'
import type { GroupMessage } from '../../model/group.js'

function changes(p: GroupProfileFields & { name?: string }): GroupChanges {
  const c: GroupChanges = {
    name: p.name, introduction: p.introduction, notification: p.notification, faceUrl: p.faceUrl, maxMemberNum: p.maxMemberCount,
    applyJoinOption: p.applyJoinOption, inviteJoinOption: p.inviteJoinOption, muteAllMember: p.muteAllMember,
    historyMsgBeforeJoin: p.historyMsgBeforeJoin, appDefinedData: p.appDefinedData,
  }
  for (const k of Object.keys(c) as (keyof GroupChanges)[]) if (c[k] === undefined) delete c[k]
  return c
}

/** Drops the coordinator-only `notify` list from an actor reply. */
function strip<T extends Notices>(r: T): Omit<T, 'notify'> {
  const { notify: _n, ...rest } = r
  return rest
}

/** Runs one group op for `userId`; resolves with the response data. */
export async function dispatchGroup(router: Router, app: number, userId: string, f: GroupFrame, nowMs: number): Promise<unknown> {
  const by: Operator = { user: userId, appAdmin: false }
  const ask = <K extends keyof GroupProtocol & string>(groupId: string, msg: RequestOf<GroupProtocol, K>) => askGroup(router, app, groupId, msg)
  switch (f.op) {
    case 'groupCreate': {
      const record = buildGroupRecord(f.type, { ...changes(f), name: f.name }, userId, Math.floor(nowMs / 1000))
      return createGroup(router, app, { groupId: f.groupId, record, members: (f.members ?? []).map((account) => ({ account })) })
    }
    case 'groupInfo': return groupInfo(await ask(f.groupId, { kind: 'info', by }))
    case 'groupMembers':
      return membersPage(await ask(f.groupId, { kind: 'members', by, offset: f.offset ?? 0, limit: f.limit ?? Limits.maxPageSize }))
    case 'groupModify': return groupInfo(await ask(f.groupId, { kind: 'modify', by, changes: changes(f) }))
    case 'groupInvite': return { results: await addGroupMembers(router, app, by, f.groupId, f.members) }
    case 'groupKick':
      return strip(await askAndNotify(router, app, f.groupId, { kind: 'removeMembers', by, accounts: f.members }))
    case 'groupSetMember': {
      const { role, nameCard, msgFlag, muteTime, appMemberDefinedData } = f
      await askAndNotify(router, app, f.groupId, { kind: 'setMember', by, account: f.member, changes: { role, nameCard, msgFlag, muteTime, appMemberDefinedData } })
      return {}
    }
    case 'groupMute': return ask(f.groupId, { kind: 'mute', by, accounts: f.members, seconds: f.muteTime }).then(() => ({}))
    case 'groupChangeOwner': return ask(f.groupId, { kind: 'changeOwner', by, newOwner: f.newOwner }).then(() => ({}))
    case 'groupDestroy': return askAndNotify(router, app, f.groupId, { kind: 'destroy', by }).then(() => ({}))
    case 'groupJoined': {
      const groups = await joinedGroups(router, app, userId)
      if (!f.withUnread) return { groups: groups.map(({ groupId, joinTime }) => ({ groupId, joinTime })) }
      // One ask per joined group, a few at a time; a group that fails to answer shows no count.
      const unread = await mapLimit(groups, 8, (g) => ask(g.groupId, { kind: 'unread', user: userId }).catch(() => undefined))
      return { groups: groups.map(({ groupId, joinTime }, i) => ({ groupId, joinTime, ...unread[i] })) }
    }
    case 'groupRead': return ask(f.groupId, { kind: 'read', user: userId, ...(f.seq !== undefined ? { seq: f.seq } : {}) })
    case 'groupApply':
      return strip(await askAndNotify(router, app, f.groupId, { kind: 'apply', user: userId, message: f.message ?? '' }))
    case 'groupRequests': return { requests: (await ask(f.groupId, { kind: 'requests', by })).map(joinRequest) }
    case 'groupHandleApply':
      return askAndNotify(router, app, f.groupId, { kind: 'handleApply', by, applicant: f.applicant, accept: f.accept }).then(() => ({}))
    case 'groupQuit': return askAndNotify(router, app, f.groupId, { kind: 'quit', user: userId }).then(() => ({}))
    case 'groupSend': {
      const r = await sendGroupMessage(router, app, f.groupId, {
        kind: 'send', by, from: userId,
        draft: {
          random: f.random ?? randomInt(0, 0xffffffff), body: f.body, cloudCustomData: f.cloudCustomData,
          ...(f.priority ? { priority: f.priority } : {}), onlineOnly: f.onlineOnly ?? false,
          ...(f.atAccounts?.length ? { atAccounts: f.atAccounts } : {}), ...(f.toAccounts ? { to: f.toAccounts } : {}),
        },
      })
      return sendResult(r)
    }
    case 'groupHistory':
      return ask(f.groupId, { kind: 'history', by, before: f.before, limit: f.limit ?? Limits.pageSize })
    case 'groupRecall': return recallGroupMessage(router, app, by, f.groupId, f.seq).then(() => ({}))
    default: return assertNever(f)
  }
}

function sendResult(r: SendReply): { seq: number; time: number; duplicate: boolean } {
  return { seq: r.seq, time: r.time, duplicate: r.duplicate }
}

function assertNever(x: never): never {
  throw new TypeError(`unhandled op ${(x as { op: string }).op}`)
}
