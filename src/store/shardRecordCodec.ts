/**
 * The bytes of a shard log record (ShardLog values): one msgpack map, encoded once by the
 * shard when it appends. Decoding checks the record's shape, so a damaged record is reported
 * (`shardLogCorrupt`: the record, the file) instead of being applied half-read or skipped.
 */
import { decode, encode } from '../core/codec.js'
import { encodeWith } from '../protocol/splice.js'
import type { MsgRecord, RecordEntry, ShardRecord } from './ConvIndex.js'
import { type LogEntry, type ShardLog, shardLogCorrupt, type ShardRef } from './ShardLog.js'

/** The record's bytes; `msgBytes` (the message's own encoding, when the caller has it) is spliced in. */
export function encodeShardRecord(rec: ShardRecord, msgBytes?: Uint8Array): Uint8Array {
  return msgBytes ? encodeWith(rec, 'msg', msgBytes) : encode(rec)
}

/** The record of `entry`, or throws `shardLogCorrupt` naming it and `log`'s location. */
export function decodeShardRecord(log: Pick<ShardLog, 'location'>, s: ShardRef, entry: LogEntry): RecordEntry {
  let rec: unknown
  try {
    rec = decode(entry.bytes)
  } catch (e) {
    throw shardLogCorrupt(log, s, entry.lsn, e)
  }
  const why = shapeError(rec)
  if (why) throw shardLogCorrupt(log, s, entry.lsn, why)
  return { lsn: entry.lsn, rec: rec as ShardRecord }
}

function shapeError(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not a map'
  const r = v as Record<string, unknown>
  const { a, b } = r
  if (typeof a !== 'string' || typeof b !== 'string' || a > b) return 'bad pair'
  if (!isCount(r['sa']) || !isCount(r['sb'])) return 'bad stream seqs'
  const member = (u: unknown) => u === a || u === b
  switch (r['t']) {
    case 'msg': {
      const m = r['msg'] as Partial<MsgRecord['msg']> | null
      if (typeof m !== 'object' || m === null || typeof m.msgKey !== 'string' || !isCount(m.seq) || m.seq < 1 ||
        typeof m.from !== 'string' || typeof m.to !== 'string' || !Array.isArray(m.body)) return 'bad message'
      if (!member(m.from) || !member(m.to)) return 'message is not between the pair'
      return undefined
    }
    case 'recall':
      return isCount(r['seq']) && typeof r['msgKey'] === 'string' && member(r['from']) ? undefined : 'bad recall'
    case 'read':
      return member(r['reader']) && isCount(r['readSeq']) && isCount(r['unread']) && isCount(r['readTime']) ? undefined : 'bad read'
    case 'receipt':
      return member(r['reader']) && Array.isArray(r['seqs']) && (r['seqs'] as unknown[]).every(isCount) &&
        Array.isArray(r['msgKeys']) && (r['msgKeys'] as unknown[]).every((k) => typeof k === 'string') ? undefined : 'bad receipt'
    case 'conv':
      return member(r['user']) ? undefined : 'bad conversation change'
    default:
      return `unknown record kind ${JSON.stringify(r['t'])}`
  }
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}
