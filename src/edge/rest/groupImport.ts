/**
 * Migration imports over REST (docs/tencent-compat.md §2.9): `import_group`, `import_group_member`,
 * `import_group_msg`. None sends tips, system notices, live pushes or webhooks, and live rooms
 * (AVChatRoom) refuse all three (10007). The group's rules are in actors/group/imports.ts.
 *
 * - `import_group`: create_group's fields (not `MemberList`: members come with
 *   import_group_member, 10004 here) plus `CreateTime` (unix seconds, not in the future;
 *   default now), which is also the owner's JoinTime. → `GroupId`.
 * - `import_group_member`: `MemberList[{Member_Account, Role (Admin|Member), JoinTime,
 *   UnreadMsgNum}]` (1–500). Accounts must be imported (10019, nothing changes). → per
 *   account `Result`: 0 failed (Admin where the type has none; JoinTime before CreateTime or
 *   in the future), 1 imported, 2 already a member.
 * - `import_group_msg`: `MsgList[{From_Account, SendTime, Random, MsgBody, CloudCustomData}]`
 *   (1–20), stored in the order given with the next seqs; `RecentContactFlag` 0/1 is accepted
 *   and changes nothing (a group's conversation comes from the joined-group index and its
 *   unread count from read positions, so imported messages show there either way). Senders
 *   must be imported (10019). → `ImportMsgResult[{MsgSeq, MsgTime, Result}]`: 0 stored (or
 *   stored before: same sender and Random within 5 minutes), 10004 SendTime before the
 *   group's CreateTime, before the newest stored message or in the future, 80002 body above
 *   12 KB (MsgSeq 0 for both).
 */
import type { ImportMember, ImportMessage } from '../../../actors/group/protocol.js'
import { randomInt } from 'node:crypto'
import { ParleyError } from '../../core/errors.js'
import { userIdField } from '../../core/ids.js'
import { Limits } from '../../core/limits.js'
import { F } from '../../core/schema.js'
import { askGroup, buildGroupRecord, createGroup, requireGroupAccounts } from '../../services/group.js'
import { bodyBytes, MsgBodyField } from '../../protocol/elements.js'
import { command, type CommandTable, type RestCtx } from './context.js'
import { Flag } from './fields.js'
import { GroupCode, GroupIdField, MemberRoleField, NewGroupFields, profileChanges } from './groupFields.js'

/** `Result` of an imported message whose body is above 12 KB (docs/tencent-compat.md §2.9). */
const TOO_LONG = 80002

const nowSec = (ctx: RestCtx): number => Math.floor(ctx.nowMs / 1000)

/**
 * create_group's fields without `MemberList`, then `CreateTime`. Checked after the fields, in
 * this order: an AVChatRoom `Type` 10007, a `CreateTime` in the future 10004, a `MemberList` 10004.
 */
const importGroup = command(F.object({
  ...NewGroupFields,
  CreateTime: F.opt(F.u32()),
  MemberList: F.opt(F.unknown({ description: 'refused: members are imported with import_group_member' })),
}), GroupCode, async (ctx, b) => {
  if (b.Type === 'AVChatRoom') throw new ParleyError('GROUP_NO_PERMISSION', 'imports are not allowed for AVChatRoom')
  const now = nowSec(ctx)
  const createTime = b.CreateTime ?? now
  if (createTime > now) throw new ParleyError(GroupCode, 'CreateTime: must not be in the future')
  if (b.MemberList !== undefined) throw new ParleyError(GroupCode, 'MemberList: import members with import_group_member')
  const record = buildGroupRecord(b.Type, { ...profileChanges(b), name: b.Name }, b.Owner_Account ?? '', createTime)
  const created = await createGroup(ctx.router, ctx.app, { groupId: b.GroupId, record, members: [] })
  return { GroupId: created.groupId }
})

const importGroupMember = command(F.object({
  GroupId: GroupIdField,
  MemberList: F.array(F.object({
    Role: F.opt(MemberRoleField),
    JoinTime: F.opt(F.u32()),
    UnreadMsgNum: F.opt(F.u32()),
    Member_Account: userIdField(),
  }), { min: 1, max: Limits.groupAccountsPerRequest, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' }),
}), GroupCode, async (ctx, b) => {
  const members = b.MemberList.map((m): ImportMember => ({
    account: m.Member_Account,
    ...(m.Role !== undefined ? { role: m.Role } : {}),
    ...(m.JoinTime !== undefined ? { joinTime: m.JoinTime } : {}),
    ...(m.UnreadMsgNum !== undefined ? { unread: m.UnreadMsgNum } : {}),
  }))
  await requireGroupAccounts(ctx.router, ctx.app, members.map((m) => m.account))
  const { results } = await askGroup(ctx.router, ctx.app, b.GroupId, { kind: 'importMembers', members })
  return { MemberList: members.map((m, i) => ({ Member_Account: m.account, Result: results[i] })) }
})

/** Each message's size is its own `Result` (80002), not a failure of the call. */
const importGroupMsg = command(F.object({
  GroupId: GroupIdField,
  RecentContactFlag: F.opt(Flag),
  MsgList: F.array(F.object({
    CloudCustomData: F.opt(F.string()),
    From_Account: userIdField(),
    SendTime: F.u32(),
    /** Absent = a random u32. */
    Random: F.opt(F.u32()),
    MsgBody: MsgBodyField,
  }), { min: 1, max: Limits.groupImportMessages }),
}), GroupCode, async (ctx, b) => {
  const items = b.MsgList.map((m): ImportMessage => ({
    from: m.From_Account,
    time: m.SendTime,
    random: m.Random ?? randomInt(0, 0xffffffff),
    body: m.MsgBody,
    ...(m.CloudCustomData !== undefined ? { cloudCustomData: m.CloudCustomData } : {}),
  }))
  await requireGroupAccounts(ctx.router, ctx.app, items.map((m) => m.from))
  const tooLong = items.map((m) => bodyBytes(m.body, m.cloudCustomData) > Limits.messageBodyBytes)
  const asked = items.filter((_, i) => !tooLong[i])
  // Asked even when every body is too long: the group still answers 10010 / 10007.
  const { results } = await askGroup(ctx.router, ctx.app, b.GroupId, { kind: 'importMessages', messages: asked })
  let next = 0
  const ImportMsgResult = items.map((m, i) => {
    if (tooLong[i]) return { MsgSeq: 0, MsgTime: m.time, Result: TOO_LONG }
    const x = results[next++]!
    return { MsgSeq: x.seq, MsgTime: x.time, Result: x.code }
  })
  return { ImportMsgResult }
})

export const groupImportCommands: CommandTable = {
  'group_open_http_svc/import_group': importGroup,
  'group_open_http_svc/import_group_member': importGroupMember,
  'group_open_http_svc/import_group_msg': importGroupMsg,
}
