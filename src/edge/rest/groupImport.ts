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
import type { ImportMember, ImportMemberResult, ImportMessage, ImportMessageResult } from '../../../actors/group/protocol.js'
import { randomInt } from 'node:crypto'
import { ParleyError } from '../../core/errors.js'
import { askGroup, buildGroupRecord, createGroup, requireGroupAccounts } from '../../services/group.js'
import { bodyBytes, validateBody } from '../../protocol/elements.js'
import { Limits } from '../../core/limits.js'
import { type CommandTable, type RestCtx } from './context.js'
import { type Body, BodyReader } from './fields.js'
import { FieldLimits, GroupCode, readGroupId, readProfile, readType } from './groupFields.js'

const Batch = { members: 500, messages: 20 } as const
/** `Result` of an imported message whose body is above 12 KB (docs/tencent-compat.md §2.9). */
const TOO_LONG = 80002

const reader = (body: Body): BodyReader => new BodyReader(body, GroupCode)
const nowSec = (ctx: RestCtx): number => Math.floor(ctx.nowMs / 1000)

async function importGroup(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const type = readType(r)
  if (type === 'AVChatRoom') throw new ParleyError('GROUP_NO_PERMISSION', 'imports are not allowed for AVChatRoom')
  const name = r.string('Name', { maxBytes: FieldLimits.name, nonEmpty: true })
  const owner = r.optUserId('Owner_Account') ?? ''
  const groupId = r.pick('GroupId') === undefined ? undefined : r.string('GroupId')
  const profile = readProfile(r)
  const now = nowSec(ctx)
  const createTime = r.optU32('CreateTime') ?? now
  if (createTime > now) r.fail('CreateTime', 'must not be in the future')
  if (r.pick('MemberList') !== undefined) r.fail('MemberList', 'import members with import_group_member')
  const record = buildGroupRecord(type, { ...profile, name }, owner, createTime)
  const created = await createGroup(ctx.router, ctx.app, { groupId, record, members: [] })
  return { GroupId: created.groupId }
}

async function importGroupMember(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  const members = r.items('MemberList', { min: 1, max: Batch.members, sizeCode: 'GROUP_TOO_MANY_ACCOUNTS' }).map((m): ImportMember => {
    const role = m.optString('Role')
    if (role !== undefined && role !== 'Admin' && role !== 'Member') m.fail('Role', 'must be Admin or Member')
    const joinTime = m.optU32('JoinTime')
    const unread = m.optU32('UnreadMsgNum')
    return {
      account: m.userId('Member_Account'),
      ...(role !== undefined ? { role: role as 'Admin' | 'Member' } : {}),
      ...(joinTime !== undefined ? { joinTime } : {}),
      ...(unread !== undefined ? { unread } : {}),
    }
  })
  await requireGroupAccounts(ctx.router, ctx.app, members.map((m) => m.account))
  const { results } = await askGroup(ctx.router, ctx.app, groupId, { kind: 'importMembers', members })
  return { MemberList: members.map((m, i) => ({ Member_Account: m.account, Result: results[i] })) }
}

async function importGroupMsg(ctx: RestCtx, body: Body): Promise<Record<string, unknown>> {
  const r = reader(body)
  const groupId = readGroupId(r)
  r.optOneOf('RecentContactFlag', [0, 1])
  const items = r.items('MsgList', { min: 1, max: Batch.messages }).map((m, i): ImportMessage => {
    const cloudCustomData = m.optString('CloudCustomData')
    return {
      from: m.userId('From_Account'),
      time: m.u32('SendTime'),
      random: m.optU32('Random') ?? randomInt(0, 0xffffffff),
      body: validateBody(m.pick('MsgBody')?.value, `MsgList[${i}].MsgBody`),
      ...(cloudCustomData !== undefined ? { cloudCustomData } : {}),
    }
  })
  await requireGroupAccounts(ctx.router, ctx.app, items.map((m) => m.from))
  const tooLong = items.map((m) => bodyBytes(m.body, m.cloudCustomData) > Limits.messageBodyBytes)
  const asked = items.filter((_, i) => !tooLong[i])
  // Asked even when every body is too long: the group still answers 10010 / 10007.
  const { results } = await askGroup(ctx.router, ctx.app, groupId, { kind: 'importMessages', messages: asked })
  let next = 0
  const ImportMsgResult = items.map((m, i) => {
    if (tooLong[i]) return { MsgSeq: 0, MsgTime: m.time, Result: TOO_LONG }
    const x = results[next++]!
    return { MsgSeq: x.seq, MsgTime: x.time, Result: x.code }
  })
  return { ImportMsgResult }
}

export const groupImportCommands: CommandTable = {
  'group_open_http_svc/import_group': importGroup,
  'group_open_http_svc/import_group_member': importGroupMember,
  'group_open_http_svc/import_group_msg': importGroupMsg,
}
