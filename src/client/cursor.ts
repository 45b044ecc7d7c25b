/**
 * The bridge to the app's optional CursorStore: loads the cursor once, and saves it only
 * when it moved. A failing store never throws into the SDK: `load` fails as a coded error for
 * `connect()`, `save` failures go to `onError`. The record is version 2, one seq per
 * conversation shard (StoredShardCursor, types.ts; docs/one-writer.md, "Wire protocol").
 */
import { ClientErrorCodes, ParleyClientError } from './errors.js'
import type { CursorStore, StoredShardCursor } from './types.js'

/**
 * Reads a stored cursor: the per-shard seqs of a version-2 record, `'legacy'` for a version-1
 * number (valid or not), undefined for nothing stored. Throws CURSOR_STORE_FAILED on anything
 * else (another version, a bad shard key or seq).
 */
export function parseShardCursor(raw: unknown): Record<number, number> | 'legacy' | undefined {
  if (raw === undefined) return undefined
  if (typeof raw === 'number') return 'legacy'
  const bad = (why: string) => new ParleyClientError(ClientErrorCodes.CURSOR_STORE_FAILED, `cursorStore.load returned ${why}`)
  if (typeof raw !== 'object' || raw === null || (raw as { v?: unknown }).v !== 2) throw bad('neither a number nor a version-2 cursor')
  const shards = (raw as { shards?: unknown }).shards
  if (typeof shards !== 'object' || shards === null || Array.isArray(shards)) throw bad('a version-2 cursor without a shards object')
  const out: Record<number, number> = {}
  for (const [k, seq] of Object.entries(shards)) {
    const sh = Number(k)
    if (!Number.isSafeInteger(sh) || sh < 0 || String(sh) !== k) throw bad(`shard key ${JSON.stringify(k)}, not a non-negative integer`)
    if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw bad(`seq ${String(seq)} for shard ${k}, not a non-negative integer`)
    if ((seq as number) > 0) out[sh] = seq as number
  }
  return out
}

/** The version-2 record of a per-shard cursor (shards at 0 left out). */
export function storedShardCursor(cursor: Readonly<Record<number, number>>): StoredShardCursor {
  const shards: Record<string, number> = {}
  for (const [k, seq] of Object.entries(cursor)) if (seq > 0) shards[k] = seq
  return { v: 2, shards }
}

/**
 * The cursor store of a ShardedInbox: load once, save only when moved, a failing store never
 * throws into the SDK; the record is version 2. A version-1 number is treated as no cursor
 * and reported through `onError` as CURSOR_RESET (the app sees everything the server still
 * holds again, deduped by msgKey only within this run); the next `saveIfMoved`, whatever its
 * cursor, replaces it with a version-2 record.
 */
export class ShardCursorPersistence {
  /** The last record loaded or saved, as compared JSON: `{"v":2,"shards":{}}` when none, '' after a version-1 load. */
  private saved = JSON.stringify(storedShardCursor({}))
  private done = false

  constructor(private readonly store: CursorStore | undefined, private readonly onError: (e: ParleyClientError) => void) {}

  /** Whether `load` has succeeded (it runs once per client). */
  get loaded(): boolean {
    return this.done
  }

  /**
   * The stored per-shard cursor, or undefined (no store, nothing stored, or a version-1
   * number: reported as CURSOR_RESET unless it is 0). Throws CURSOR_STORE_FAILED.
   */
  async load(): Promise<Record<number, number> | undefined> {
    let raw: unknown
    try {
      raw = await this.store?.load()
    } catch (e) {
      throw new ParleyClientError(ClientErrorCodes.CURSOR_STORE_FAILED, 'cursorStore.load failed', { cause: e })
    }
    const c = parseShardCursor(raw)
    this.done = true
    if (c === 'legacy') {
      if (raw !== 0) this.onError(new ParleyClientError(ClientErrorCodes.CURSOR_RESET, `stored cursor ${String(raw)} is a single inbox seq, not a per-shard cursor: replaying from 0`))
      this.saved = ''
      return undefined
    }
    if (c !== undefined) this.saved = JSON.stringify(storedShardCursor(c))
    return c
  }

  /** Saves `cursor` as a version-2 record unless it equals the last one loaded or saved (a version-1 load is replaced). */
  saveIfMoved(cursor: Readonly<Record<number, number>>): void {
    if (!this.store) return
    const record = storedShardCursor(cursor)
    const json = JSON.stringify(record)
    if (json === this.saved) return
    this.saved = json
    const failed = (e: unknown) => this.onError(new ParleyClientError(ClientErrorCodes.CURSOR_STORE_FAILED, 'cursorStore.save failed', { cause: e }))
    try {
      const r = this.store.save(record)
      if (r instanceof Promise) r.catch(failed)
    } catch (e) {
      failed(e)
    }
  }
}
