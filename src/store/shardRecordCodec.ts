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
  const r = v as Partial<MsgRecord>
  if (r.t !== 'msg') return `unknown record kind ${JSON.stringify(r.t)}`
  if (typeof r.a !== 'string' || typeof r.b !== 'string' || r.a > r.b) return 'bad pair'
  if (!isCount(r.sa) || !isCount(r.sb)) return 'bad stream seqs'
  const m = r.msg
  if (typeof m !== 'object' || m === null || typeof m.msgKey !== 'string' || !isCount(m.seq) || m.seq < 1 ||
    typeof m.from !== 'string' || typeof m.to !== 'string' || !Array.isArray(m.body)) return 'bad message'
  if (![r.a, r.b].includes(m.from) || ![r.a, r.b].includes(m.to)) return 'message is not between the pair'
  return undefined
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}
