/**
 * Group tips (actors/group/tips.ts) as pure decisions: how each group type carries each tip
 * op, the tip message's shape, and which profile changes a tip 6 tells.
 */
import t from 'tap'
import { profileChanges, tipDelivery, tipMessage, TipTypes } from '../../actors/group/tips.js'
import { GroupTypes } from '../../src/model/group.js'
import { groupRecord } from '../store/groupStoreConformance.js'

t.test('delivery per type: stored with history, live in rooms, no member changes in ChatRoom/BChatRoom', async (t) => {
  const expected: Record<string, string[]> = {
    //           1 join   2 quit   3 kicked 4 admin  5 revoked 6 profile 7 member
    Private: ['stored', 'stored', 'stored', 'stored', 'stored', 'stored', 'stored'],
    Public: ['stored', 'stored', 'stored', 'stored', 'stored', 'stored', 'stored'],
    Community: ['stored', 'stored', 'stored', 'stored', 'stored', 'stored', 'stored'],
    ChatRoom: ['none', 'none', 'none', 'stored', 'stored', 'stored', 'stored'],
    AVChatRoom: ['live', 'live', 'live', 'live', 'live', 'live', 'live'],
    BChatRoom: ['none', 'none', 'none', 'live', 'live', 'live', 'live'],
  }
  t.same(Object.keys(expected).sort(), [...GroupTypes].sort(), 'every type is in the table')
  for (const type of GroupTypes) {
    t.same(Object.values(TipTypes).map((op) => tipDelivery(type, op)), expected[type], type)
  }
})

t.test('a tip is a message from @TIM#SYSTEM with one TIMGroupTipElem', async (t) => {
  const tip = { OpType: TipTypes.kicked, Operator_Account: 'boss', MemberList: ['x'] }
  t.same(tipMessage(tip, 7, 1700000000), {
    seq: 7, from: '@TIM#SYSTEM', random: 0, time: 1700000000, flags: 0,
    body: [{ MsgType: 'TIMGroupTipElem', MsgContent: { OpType: 3, Operator_Account: 'boss', MemberList: ['x'] } }],
  })
})

t.test('profile changes: the shown fields that differ, in Tencent names', async (t) => {
  const before = groupRecord('g')
  t.equal(profileChanges(before, { ...before, infoSeq: 9, maxMemberNum: 5, appDefinedData: { k: 'w' }, historyMsgBeforeJoin: true }), undefined,
    'custom fields, the cap and the history setting are not told')
  t.same(profileChanges(before, { ...before, name: 'N', notification: 'rules', muteAllMember: true, owner: 'heir' }),
    { Name: 'N', Notification: 'rules', Owner_Account: 'heir', MuteAllMember: 'On' })
  t.same(profileChanges({ ...before, muteAllMember: true }, before), { MuteAllMember: 'Off' })
})
