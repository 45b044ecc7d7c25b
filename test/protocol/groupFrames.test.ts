/** Validation of the group ops' socket frames: each bad-input class gets its code and names its field. */
import t from 'tap'
import { parseClientFrame } from '../../src/protocol/validate.js'
import { expectError } from './expectError.js'

const text = { MsgType: 'TIMTextElem', MsgContent: { Text: 'hi' } }

t.test('bad group frames: code and field', async (t) => {
  const cases: [Record<string, unknown>, number, string][] = [
    [{ op: 'groupInfo', rid: 1 }, 10004, 'groupId'],
    [{ op: 'groupInfo', rid: 1, groupId: '' }, 10015, 'groupId'],
    [{ op: 'groupInfo', rid: 1, groupId: 'x'.repeat(48) }, 10015, 'groupId'],
    [{ op: 'groupInfo', rid: 1, groupId: 'tab\there' }, 10015, 'groupId'],
    [{ op: 'groupInfo', rid: 1, groupId: 7 }, 10015, 'groupId'],
    [{ op: 'groupInfo', groupId: 'g' }, 20001, 'rid'],
    [{ op: 'groupCreate', rid: 1, name: 'n' }, 10004, 'type'],
    [{ op: 'groupCreate', rid: 1, type: 'Huge', name: 'n' }, 10004, 'type'],
    [{ op: 'groupCreate', rid: 1, type: 'Public' }, 10004, 'name'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: '' }, 10004, 'name'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: 'n'.repeat(31) }, 10004, 'name'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: 'n', introduction: 'i'.repeat(241) }, 10004, 'introduction'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: 'n', notification: 'i'.repeat(301) }, 10004, 'notification'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: 'n', faceUrl: 'f'.repeat(101) }, 10004, 'faceUrl'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: 'n', applyJoinOption: 'Maybe' }, 10004, 'applyJoinOption'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: 'n', maxMemberCount: -1 }, 10004, 'maxMemberCount'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: 'n', appDefinedData: { 'bad key': 'v' } }, 10004, 'appDefinedData'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: 'n', appDefinedData: { k: 'v'.repeat(513) } }, 10004, 'appDefinedData'],
    [{ op: 'groupCreate', rid: 1, type: 'Public', name: 'n', members: ['ok', 'not a user id'] }, 10004, 'members[1]'],
    [{ op: 'groupInvite', rid: 1, groupId: 'g', members: [] }, 10005, 'members'],
    [{ op: 'groupKick', rid: 1, groupId: 'g', members: Array.from({ length: 501 }, (_, i) => `u${i}`) }, 10005, 'members'],
    [{ op: 'groupSetMember', rid: 1, groupId: 'g', member: 'a', role: 'Owner' }, 10004, 'role'],
    [{ op: 'groupSetMember', rid: 1, groupId: 'g', member: 'a', nameCard: 'n'.repeat(51) }, 10004, 'nameCard'],
    [{ op: 'groupSetMember', rid: 1, groupId: 'g', member: 'a', appMemberDefinedData: { k: 'v'.repeat(65) } }, 10004, 'appMemberDefinedData'],
    [{ op: 'groupMute', rid: 1, groupId: 'g', members: ['a'] }, 10004, 'muteTime'],
    [{ op: 'groupMute', rid: 1, groupId: 'g', members: ['a'], muteTime: 2 ** 32 }, 10004, 'muteTime'],
    [{ op: 'groupHandleApply', rid: 1, groupId: 'g', applicant: 'a' }, 10004, 'accept'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [] }, 90002, 'body'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [text], random: -1 }, 90005, 'random'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [text], priority: 'Urgent' }, 10004, 'priority'],
    [{ op: 'groupHistory', rid: 1, groupId: 'g', limit: 101 }, 10004, 'limit'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [text], atAccounts: 'a' }, 10004, 'atAccounts'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [text], atAccounts: ['a', 'not a user'] }, 10004, 'atAccounts[1]'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [text], atAccounts: Array.from({ length: 501 }, (_, i) => `u${i}`) }, 10005, 'atAccounts'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [text], toAccounts: [] }, 10005, 'toAccounts'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [text], toAccounts: Array.from({ length: 51 }, (_, i) => `u${i}`) }, 10005, 'toAccounts'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [text], toAccounts: ['x'.repeat(33)] }, 10004, 'toAccounts[0]'],
    [{ op: 'groupSend', rid: 1, groupId: 'g', body: [text], toAccounts: [7] }, 10004, 'toAccounts[0]'],
    [{ op: 'groupRecall', rid: 1, groupId: 'g' }, 10004, 'seq'],
    [{ op: 'groupRecall', rid: 1, groupId: 'g', seq: 0 }, 10004, 'seq'],
    [{ op: 'groupRecall', rid: 1, groupId: 'g', seq: '3' }, 10004, 'seq'],
    [{ op: 'groupRecall', rid: 1, seq: 3 }, 10004, 'groupId'],
  ]
  for (const [raw, code, field] of cases) expectError(t, () => parseClientFrame(raw), code, field)
})
