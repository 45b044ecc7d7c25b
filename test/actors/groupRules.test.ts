/**
 * The group-type rule table (actors/group/rules.ts), table-tested: for every type, each
 * decision the Group actor takes from it (docs/tencent-compat.md §4.2–4.3).
 */
import t from 'tap'
import {
  applyOutcome, canApprove, canEditProfile, canKick, canMute, canOwn, canQuit, canSetRole, effectiveApply, GroupTypeRules,
  hasRoom, inviteOutcome, mayReadSeq, memberCap, Rank, rankOf, sendCheck,
} from '../../actors/group/rules.js'
import type { GroupType } from '../../src/model/group.js'

const { none, member, admin, owner, appAdmin } = Rank
const types: GroupType[] = ['Private', 'Public', 'ChatRoom', 'AVChatRoom', 'BChatRoom', 'Community']

t.test('ranks: App admin > owner > admin > member > not a member', async (t) => {
  t.equal(rankOf(undefined), none)
  t.equal(rankOf('Member'), member)
  t.equal(rankOf('Admin'), admin)
  t.equal(rankOf('Owner'), owner)
  t.equal(rankOf(undefined, true), appAdmin, 'the App admin acts as owner, member or not')
  t.equal(rankOf('Member', true), appAdmin)
})

t.test('per type: admins, apply default and whether it is fixed, owner quit, history, caps, guests', async (t) => {
  //           admins  apply default     fixed  ownerQuit history stores  default cap max cap guests
  const table: Record<GroupType, [boolean, string, boolean, boolean, boolean, boolean, number, number, boolean]> = {
    Private: [false, 'DisableApply', true, true, false, true, 200, 6000, false],
    Public: [true, 'NeedPermission', false, false, false, true, 2000, 6000, false],
    ChatRoom: [true, 'FreeAccess', false, false, true, true, 6000, 6000, false],
    AVChatRoom: [false, 'FreeAccess', true, false, false, false, 0, 0, true],
    BChatRoom: [false, 'FreeAccess', true, false, false, false, 0, 0, true],
    Community: [true, 'FreeAccess', false, false, false, true, 100000, 100000, false],
  }
  for (const type of types) {
    const r = GroupTypeRules[type]
    t.same([r.admins, r.defaultApply, r.fixedApply, r.ownerMayQuit, r.historyBeforeJoin, r.storesHistory, r.defaultMaxMembers,
      r.maxMembers, r.guests], table[type], type)
  }
  t.equal(GroupTypeRules.Community.idPrefix, '@TGS#_')
  t.equal(GroupTypeRules.Public.idPrefix, '')
})

t.test('apply to join: none for Private, approval by option, free for live rooms', async (t) => {
  const cases: [GroupType, 'FreeAccess' | 'NeedPermission' | 'DisableApply', string][] = [
    ['Private', 'FreeAccess', 'denied'],
    ['Public', 'NeedPermission', 'request'],
    ['Public', 'FreeAccess', 'join'],
    ['Public', 'DisableApply', 'denied'],
    ['ChatRoom', 'FreeAccess', 'join'],
    ['ChatRoom', 'NeedPermission', 'request'],
    ['Community', 'FreeAccess', 'join'],
    ['AVChatRoom', 'DisableApply', 'join'],
    ['BChatRoom', 'NeedPermission', 'join'],
  ]
  for (const [type, option, want] of cases) t.equal(applyOutcome(type, option), want, `${type} ${option}`)
  t.equal(effectiveApply('Public', undefined), 'NeedPermission', 'default')
  t.equal(effectiveApply('AVChatRoom', 'NeedPermission'), 'FreeAccess', 'fixed types ignore the option')
})

t.test('invite: members by InviteJoinOption, admins and owners directly, nobody in live rooms', async (t) => {
  for (const type of ['Private', 'Public', 'ChatRoom', 'Community'] as const) {
    t.equal(inviteOutcome(type, none, 'FreeAccess'), 'denied', `${type}: non-members do not invite`)
    t.equal(inviteOutcome(type, member, 'FreeAccess'), 'join', `${type}: member, FreeAccess`)
    t.equal(inviteOutcome(type, member, 'NeedPermission'), 'request', `${type}: member, NeedPermission`)
    t.equal(inviteOutcome(type, member, 'DisableInvite'), 'denied', `${type}: member, DisableInvite`)
    t.equal(inviteOutcome(type, owner, 'DisableInvite'), 'join', `${type}: owner always`)
    t.equal(inviteOutcome(type, appAdmin, 'DisableInvite'), 'join', `${type}: App admin always`)
  }
  for (const type of ['AVChatRoom', 'BChatRoom'] as const) {
    t.equal(inviteOutcome(type, appAdmin, 'FreeAccess'), 'denied', `${type}: nobody invites`)
  }
})

t.test('who edits the profile', async (t) => {
  const min: Record<GroupType, number> = { Private: member, Public: admin, ChatRoom: admin, AVChatRoom: owner, BChatRoom: owner, Community: admin }
  for (const type of types) {
    for (const rank of [none, member, admin, owner, appAdmin] as Rank[]) {
      t.equal(canEditProfile(type, rank), rank >= min[type], `${type} rank ${rank}`)
    }
  }
})

t.test('who kicks whom', async (t) => {
  t.ok(canKick('Private', owner, member))
  t.notOk(canKick('Private', member, member), 'Private: only the owner kicks')
  t.ok(canKick('Public', admin, member))
  t.notOk(canKick('Public', admin, admin), 'admins do not remove admins')
  t.notOk(canKick('Public', admin, owner))
  t.ok(canKick('Public', owner, admin))
  t.ok(canKick('Community', appAdmin, owner), 'the App admin outranks the owner')
  t.notOk(canKick('ChatRoom', member, none))
  for (const type of ['AVChatRoom', 'BChatRoom'] as const) t.notOk(canKick(type, appAdmin, member), `${type}: nobody removes`)
})

t.test('owner quit, role changes, approvals, ownership, mutes', async (t) => {
  for (const type of types) {
    t.equal(canQuit(type, 'Owner'), type === 'Private', `${type}: owner quit`)
    t.ok(canQuit(type, 'Member'))
    t.equal(canSetRole(type, owner, 'Admin'), GroupTypeRules[type].admins, `${type}: appoint admins`)
    t.notOk(canSetRole(type, admin, 'Admin'), `${type}: admins do not appoint`)
    t.notOk(canSetRole(type, appAdmin, 'Owner'), `${type}: ownership moves only by change_group_owner`)
    t.equal(canApprove(type, admin), GroupTypeRules[type].admins, `${type}: admin approves`)
    t.ok(canApprove(type, owner))
    t.notOk(canApprove(type, member))
  }
  t.ok(canOwn(owner))
  t.ok(canOwn(appAdmin))
  t.notOk(canOwn(admin))
  t.ok(canMute(admin, member))
  t.notOk(canMute(admin, admin))
  t.ok(canMute(owner, admin))
  t.notOk(canMute(member, none))
})

t.test('sending: mutes, mute-all, BChatRoom admin-only', async (t) => {
  const now = 1000
  t.equal(sendCheck('Public', member, 0, false, now), 'ok')
  t.equal(sendCheck('Public', none, 0, false, now), 'denied')
  t.equal(sendCheck('Public', member, now + 1, false, now), 'muted')
  t.equal(sendCheck('Public', member, now, false, now), 'ok', 'a mute ending now is over')
  t.equal(sendCheck('Public', member, 0, true, now), 'muted', 'mute-all silences members')
  t.equal(sendCheck('Public', admin, 0, true, now), 'ok', 'but not admins')
  t.equal(sendCheck('Public', owner, now + 5, false, now), 'muted', 'an owner can be muted by the App admin')
  t.equal(sendCheck('Public', appAdmin, now + 5, true, now), 'ok', 'the App admin is never muted')
  t.equal(sendCheck('BChatRoom', owner, 0, false, now), 'denied', 'BChatRoom: only the App admin sends')
  t.equal(sendCheck('BChatRoom', appAdmin, 0, false, now), 'ok')
  t.equal(sendCheck('AVChatRoom', member, 0, false, now), 'ok')
})

t.test('member caps and history before join', async (t) => {
  t.equal(memberCap('Public', undefined), 2000)
  t.equal(memberCap('Public', 6000), 6000)
  t.equal(memberCap('Public', 6001), undefined)
  t.equal(memberCap('Public', 0), undefined)
  t.equal(memberCap('Community', 100000), 100000)
  t.equal(memberCap('AVChatRoom', 50), 0, 'AVChatRoom has no cap')
  t.ok(hasRoom(0, 1_000_000, 1), 'cap 0 = unlimited')
  t.ok(hasRoom(3, 2, 1))
  t.notOk(hasRoom(3, 3, 1))
  t.ok(mayReadSeq(true, 10, 5), 'HistoryMsgBeforeJoin on')
  t.notOk(mayReadSeq(false, 10, 10), 'off: nothing up to the join seq')
  t.ok(mayReadSeq(false, 10, 11))
})
