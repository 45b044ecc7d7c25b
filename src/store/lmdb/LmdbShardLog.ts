/**
 * ShardLog on the embedded LMDB environment (contract: src/store/ShardLog.ts).
 *
 * | sub-database  | key                  | value                      |
 * |---------------|----------------------|----------------------------|
 * | `shard.log`   | `[app, shard, lsn]`  | the record's bytes, as given |
 * | `shard.ckpt`  | `[app, shard]`       | the checkpoint LSN (msgpack uint), written by LmdbConvIndex |
 * | `shard.users` | `[app, user, shard]` | empty: the user has a stream in the shard (put with its first record) |
 *
 * An append is one put under a key that grows by one per shard, guarded by `ifNoExists`
 * (LMDB checks it inside the write transaction, natively), so a reused LSN writes nothing.
 * Puts made in one turn land in lmdb-js's next write batch: one transaction, one fsync, for
 * every store on the same handle (openLmdb.ts, "Durability"). The head is the last key, or
 * the checkpoint when the log was trimmed empty (trim keeps records above the checkpoint).
 * One process holds the environment, and its shards have one actor each, so `open` fences
 * nothing here.
 */
import { asBinary, type Database, type Key } from 'lmdb'
import { ParleyError } from '../../core/errors.js'
import type { LogEntry, ShardLog, ShardLogHead, ShardRef } from '../ShardLog.js'
import { KEY_MAX, keyText } from './keys.js'
import type { LmdbHandle } from './openLmdb.js'
import { decodeValue, encodeUint } from './records.js'

type Raw = Database<Uint8Array, Key>

/** The value of a presence key (the key is what counts). */
const EMPTY = new Uint8Array(0)

export class LmdbShardLog implements ShardLog {
  private readonly log: Raw
  private readonly ckpt: Raw
  private readonly present: Raw
  readonly location: string

  /** Takes a reference to `lmdb`: `close()` closes it. */
  constructor(private readonly lmdb: LmdbHandle) {
    this.log = lmdb.rawDb('shard.log')
    this.ckpt = lmdb.rawDb('shard.ckpt')
    this.present = lmdb.rawDb('shard.users')
    this.location = lmdb.path
  }

  async open(s: ShardRef): Promise<ShardLogHead> {
    const checkpointLsn = this.checkpointOf(s)
    let lastLsn = checkpointLsn
    for (const key of this.log.getKeys({ start: [s.app, s.shard, KEY_MAX], end: [s.app, s.shard], reverse: true, limit: 1 })) {
      lastLsn = Math.max(lastLsn, (key as [number, number, number])[2])
    }
    return { lastLsn, checkpointLsn }
  }

  async append(s: ShardRef, lsn: number, bytes: Uint8Array, firstFor?: readonly string[]): Promise<void> {
    if (!Number.isSafeInteger(lsn) || lsn < 1) throw new ParleyError('INTERNAL', `shard ${s.app}/${s.shard}: LSN ${lsn} is not valid`)
    const key = [s.app, s.shard, lsn]
    const users = firstFor?.map((u) => keyText(u, 'user'))
    const fresh = await this.log.ifNoExists(key, () => {
      void this.log.put(key, asBinary(bytes) as unknown as Uint8Array)
      for (const u of users ?? []) void this.present.put([s.app, u, s.shard], asBinary(EMPTY) as unknown as Uint8Array)
    })
    if (!fresh) throw new ParleyError('INTERNAL', `shard ${s.app}/${s.shard}: LSN ${lsn} is already in the log; append refused`)
  }

  async shardsOf(app: number, user: string): Promise<number[]> {
    const out: number[] = []
    for (const key of this.present.getKeys({ start: [app, user], end: [app, user, KEY_MAX] })) out.push((key as [number, string, number])[2])
    return out
  }

  async replay(s: ShardRef, afterLsn: number, limit: number): Promise<LogEntry[]> {
    if (limit <= 0) return []
    const out: LogEntry[] = []
    const range = this.log.getRange({ start: [s.app, s.shard, afterLsn], exclusiveStart: true, end: [s.app, s.shard, KEY_MAX], limit })
    for (const { key, value } of range) out.push({ lsn: (key as [number, number, number])[2], bytes: value })
    return out
  }

  async trim(s: ShardRef, lsn: number): Promise<number> {
    const upTo = Math.min(lsn, this.checkpointOf(s))
    const doomed: Key[] = []
    for (const key of this.log.getKeys({ start: [s.app, s.shard, 0], end: [s.app, s.shard, upTo + 1] })) doomed.push(key)
    if (doomed.length === 0) return 0
    await this.log.batch(() => {
      for (const key of doomed) void this.log.remove(key)
    })
    return doomed.length
  }

  close(): Promise<void> {
    return this.lmdb.close()
  }

  private checkpointOf(s: ShardRef): number {
    const bytes = this.ckpt.getBinary([s.app, s.shard])
    return bytes === undefined ? 0 : decodeValue<number>(bytes)
  }
}
