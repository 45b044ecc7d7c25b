/** Small conversions between driver row values and the stores' types. */

/**
 * A CQL `bigint` arrives as the driver's `Long`; `int` as a number. Every bigint the stores
 * write (seqs, versions, microsecond timestamps, app ids, u32 randoms) is below 2^53.
 */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v
  if (v !== null && typeof v === 'object' && 'toNumber' in v && typeof v.toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber()
  }
  throw new TypeError(`expected a CQL int or bigint, got ${String(v)}`)
}

/** Partition bucket of a sequence number for a table with `size` rows per bucket. */
export function bucketOf(seq: number, size: number): number {
  return Math.floor(seq / size)
}
