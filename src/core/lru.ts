/**
 * A string-keyed map holding at most `capacity` entries: reading or writing an entry makes it
 * the most recent, and a write beyond the capacity forgets the least recent one.
 */
export class Lru<V> {
  private readonly entries = new Map<string, V>()

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.entries.get(key)
    if (v !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, v)
    }
    return v
  }

  set(key: string, v: V): void {
    this.entries.delete(key)
    this.entries.set(key, v)
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
  }

  delete(key: string): void {
    this.entries.delete(key)
  }
}
