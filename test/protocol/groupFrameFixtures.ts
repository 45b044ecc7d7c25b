/** Valid frames of every group op (full and minimal forms), shared by the frame validation tests. */
import type { GroupFrame, GroupOp } from '../../src/protocol/groupFrames.js'

const text = { MsgType: 'TIMTextElem', MsgContent: { Text: 'hi' } } as const

export const groupOps: GroupOp[] = [
  'groupCreate', 'groupInfo', 'groupMembers', 'groupModify', 'groupInvite', 'groupKick', 'groupSetMember', 'groupMute',
  'groupChangeOwner', 'groupDestroy', 'groupJoined', 'groupApply', 'groupRequests', 'groupHandleApply', 'groupQuit',
  'groupSend', 'groupHistory', 'groupRecall', 'groupRead',
]

export const groupValidFrames: GroupFrame[] = [
  { op: 'groupCreate', rid: 1, type: 'Public', name: 'team' },
  {
    op: 'groupCreate', rid: 1, type: 'Community', name: 'c', groupId: '@TGS#_mine', members: ['a', 'b'], introduction: 'i',
    notification: 'n', faceUrl: 'f', maxMemberCount: 10, applyJoinOption: 'FreeAccess', inviteJoinOption: 'NeedPermission',
    muteAllMember: false, historyMsgBeforeJoin: true, appDefinedData: { Level: '3' },
  },
  { op: 'groupInfo', rid: 2, groupId: 'g' },
  { op: 'groupMembers', rid: 3, groupId: 'g' },
  { op: 'groupMembers', rid: 3, groupId: 'g', offset: 10, limit: 100 },
  { op: 'groupModify', rid: 4, groupId: 'g' },
  { op: 'groupModify', rid: 4, groupId: 'g', name: 'n', muteAllMember: true, appDefinedData: { k: '' } },
  { op: 'groupInvite', rid: 5, groupId: 'g', members: ['a'] },
  { op: 'groupKick', rid: 6, groupId: 'g', members: ['a', 'b'] },
  { op: 'groupSetMember', rid: 7, groupId: 'g', member: 'a' },
  {
    op: 'groupSetMember', rid: 7, groupId: 'g', member: 'a', role: 'Admin', nameCard: 'A', msgFlag: 'Discard', muteTime: 0,
    appMemberDefinedData: { c: 'red' },
  },
  { op: 'groupMute', rid: 8, groupId: 'g', members: ['a'], muteTime: 4294967295 },
  { op: 'groupChangeOwner', rid: 9, groupId: 'g', newOwner: 'b' },
  { op: 'groupDestroy', rid: 10, groupId: 'g' },
  { op: 'groupJoined', rid: 11 },
  { op: 'groupJoined', rid: 11, withUnread: true },
  { op: 'groupRead', rid: 19, groupId: 'g' },
  { op: 'groupRead', rid: 19, groupId: 'g', seq: 4 },
  { op: 'groupApply', rid: 12, groupId: 'g' },
  { op: 'groupApply', rid: 12, groupId: 'g', message: 'please' },
  { op: 'groupRequests', rid: 13, groupId: 'g' },
  { op: 'groupHandleApply', rid: 14, groupId: 'g', applicant: 'a', accept: false },
  { op: 'groupQuit', rid: 15, groupId: 'g' },
  { op: 'groupSend', rid: 16, groupId: 'g', body: [text] },
  { op: 'groupSend', rid: 16, groupId: 'g', body: [text], random: 7, cloudCustomData: 'cc', priority: 'Low', onlineOnly: true },
  { op: 'groupSend', rid: 16, groupId: 'g', body: [text], atAccounts: ['a', '@ALL'], toAccounts: ['a', 'b'] },
  { op: 'groupSend', rid: 16, groupId: 'g', body: [text], atAccounts: [] },
  { op: 'groupHistory', rid: 17, groupId: 'g' },
  { op: 'groupHistory', rid: 17, groupId: 'g', before: 9, limit: 20 },
  { op: 'groupRecall', rid: 18, groupId: 'g', seq: 1 },
]
