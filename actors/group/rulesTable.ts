/**
 * The group-type rule table (rules.ts) as the Markdown table the README shows, so the
 * README's description of the types is generated from the rules the server enforces
 * (`parley group-table`; test/docs/readme.test.ts keeps them equal).
 */
import { GroupTypes } from '../../src/model/group.js'
import { GroupTypeRules, Rank } from './rules.js'

const rankName: Record<Rank, string> = {
  [Rank.none]: 'anyone', [Rank.member]: 'members', [Rank.admin]: 'admins and owner', [Rank.owner]: 'owner',
  [Rank.appAdmin]: 'App admin only',
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no')

/** One row per group type; the App admin acts as owner in every group. */
export function groupTypesTableMarkdown(): string {
  const rows = [
    '| Type | Join by applying (default) | Invite | Edit profile | Remove members | Admins | Owner may quit | History kept / before join (default) | Member cap default / max | Guests | Who sends |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const type of GroupTypes) {
    const r = GroupTypeRules[type]
    const apply = r.fixedApply ? `${r.defaultApply} (fixed)` : r.defaultApply
    const invite = r.inviteRank === undefined ? 'nobody' : r.inviteRank === Rank.member ? 'members (`InviteJoinOption`); admins and owner directly' : rankName[r.inviteRank]
    const kick = r.kickRank === undefined ? 'nobody' : `${rankName[r.kickRank]} (lower ranks)`
    const history = r.storesHistory ? `yes / ${yesNo(r.historyBeforeJoin)}` : 'no (live only, seq 0)'
    const cap = r.maxMembers === 0 ? 'none' : `${r.defaultMaxMembers.toLocaleString('en-US')} / ${r.maxMembers.toLocaleString('en-US')}`
    rows.push(`| ${type} | ${apply} | ${invite} | ${rankName[r.editRank]} | ${kick} | ${yesNo(r.admins)} | ${yesNo(r.ownerMayQuit)} | ${history} | ${cap} | ${yesNo(r.guests)} | ${rankName[r.sendRank]} |`)
  }
  return rows.join('\n')
}
