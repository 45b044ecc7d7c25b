/**
 * Writing a decided commit's statements (applyCommit.ts for users, groupApply.ts for groups):
 * split, in order, into UNLOGGED batches under Cassandra's default 50 KiB
 * `batch_size_fail_threshold`, sent in parallel at the `write` consistency. No batchlog: a
 * decided commit stays `pending` in its head row until the next one, and the next reader of
 * the head applies it again in full, so a batchlog would only double every write.
 */
import type { CassandraHandle } from './connect.js'

export interface Statement {
  query: string
  params: unknown[]
  /** Rough serialized size, for splitting batches. */
  bytes: number
}

/** Estimated bytes per batch; Cassandra fails multi-partition batches above 50 KiB by default. */
const BATCH_BYTES = 32 * 1024
const BATCH_STATEMENTS = 64
/** Per-statement overhead in the size estimate: keys, timestamps, framing. */
const STATEMENT_OVERHEAD = 96

/** A statement whose variable-size parameters total about `payload` bytes. */
export function stmt(query: string, params: unknown[], payload: number): Statement {
  return { query, params, bytes: payload + STATEMENT_OVERHEAD }
}

/**
 * Writes every statement; resolves once all reached the handle's `write` consistency. At most
 * `maxInFlight` batches are outstanding at a time (default: all at once), so a large
 * background write does not queue ahead of everything else at the replicas.
 */
export async function writeStatements(handle: CassandraHandle, statements: Statement[], maxInFlight = Infinity): Promise<void> {
  const batches = chunk(statements)
  if (batches.length <= maxInFlight) {
    await Promise.all(batches.map((batch) => send(handle, batch)))
    return
  }
  let next = 0
  const lane = async () => {
    try {
      while (next < batches.length) await send(handle, batches[next++]!)
    } catch (e) {
      next = batches.length // the other lanes send nothing more
      throw e
    }
  }
  await Promise.all(Array.from({ length: maxInFlight }, lane))
}

async function send(handle: CassandraHandle, batch: Statement[]): Promise<void> {
  const { client, consistency } = handle
  const opts = { prepare: true, consistency: consistency.write, isIdempotent: true }
  if (batch.length === 1) await client.execute(batch[0]!.query, batch[0]!.params, opts)
  else await client.batch(batch.map(({ query, params }) => ({ query, params })), { ...opts, logged: false })
}

/** Splits statements, in order, into batches under BATCH_BYTES / BATCH_STATEMENTS. */
function chunk(statements: Statement[]): Statement[][] {
  const out: Statement[][] = []
  let current: Statement[] = []
  let bytes = 0
  for (const s of statements) {
    if (current.length > 0 && (bytes + s.bytes > BATCH_BYTES || current.length >= BATCH_STATEMENTS)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(s)
    bytes += s.bytes
  }
  if (current.length > 0) out.push(current)
  return out
}
