/**
 * A set of string keys bounded to `capacity` entries, evicting the least recently added or
 * touched key first. Used to remember message keys already surfaced to the app: memory stays
 * O(capacity) however long the client runs.
 */
export class BoundedKeySet {
  /** Map iteration order is insertion order: the first key is the least recent. */
  private readonly keys = new Map<string, true>()

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`)
  }

  get size(): number {
    return this.keys.size
  }

  /** Whether `key` is present; a hit makes it the most recent. */
  has(key: string): boolean {
    if (!this.keys.has(key)) return false
    this.keys.delete(key)
    this.keys.set(key, true)
    return true
  }

  /**
   * Adds `key` as the most recent, evicting the least recent key when full. Returns false if
   * it was already present (it is then touched), true if it was new.
   */
  add(key: string): boolean {
    if (this.has(key)) return false
    if (this.keys.size >= this.capacity) {
      const oldest = this.keys.keys().next().value
      if (oldest !== undefined) this.keys.delete(oldest)
    }
    this.keys.set(key, true)
    return true
  }
}
