/**
 * The group actor's answers as the wire shows them (src/protocol/groupViews.ts): each field
 * named, so nothing a store adds to a record reaches clients by accident.
 */
import type { GroupView, MembersPage } from '../../../actors/group/protocol.js'
import type { GroupProfile, GroupRecord, JoinRequest } from '../../model/group.js'
import type { GroupInfo, GroupJoinRequest, GroupMember, GroupMembersPage } from '../../protocol/groupViews.js'

export function groupProfile(g: GroupRecord): GroupProfile {
  return {
    groupId: g.groupId, type: g.type, name: g.name, introduction: g.introduction, notification: g.notification,
    faceUrl: g.faceUrl, owner: g.owner, createTime: g.createTime, infoSeq: g.infoSeq, lastInfoTime: g.lastInfoTime,
    lastMsgTime: g.lastMsgTime, maxMemberNum: g.maxMemberNum, applyJoinOption: g.applyJoinOption,
    inviteJoinOption: g.inviteJoinOption, muteAllMember: g.muteAllMember, historyMsgBeforeJoin: g.historyMsgBeforeJoin,
    appDefinedData: { ...g.appDefinedData },
  }
}

export function groupInfo(v: GroupView): GroupInfo {
  return { group: groupProfile(v.group), memberNum: v.memberNum, nextMsgSeq: v.nextMsgSeq, lastMsgTime: v.lastMsgTime, msgRateShed: v.msgRateShed }
}

export function membersPage(p: MembersPage): GroupMembersPage {
  return {
    memberNum: p.memberNum,
    members: p.members.map((m): GroupMember => ({
      account: m.account, role: m.role, joinTime: m.joinTime, joinSeq: m.joinSeq, readSeq: m.readSeq, msgFlag: m.msgFlag,
      lastSendMsgTime: m.lastSendMsgTime, nameCard: m.nameCard, appMemberDefinedData: { ...m.appMemberDefinedData }, muteUntil: m.muteUntil,
    })),
  }
}

export function joinRequest(r: JoinRequest): GroupJoinRequest {
  return { account: r.account, time: r.time, message: r.message, ...(r.inviter !== undefined ? { inviter: r.inviter } : {}) }
}
