/**
 * A small typed event emitter (no Node `events`, so it runs in browsers). `E` maps each event
 * name to its payload. Listeners run synchronously in registration order. A listener that
 * throws does not stop the others nor the SDK: the throw is handed to `onListenerError`.
 */
export type Listener<T> = (payload: T) => void

export class Emitter<E extends object> {
  private readonly listeners = new Map<keyof E, Set<Listener<never>>>()

  constructor(private readonly onListenerError: (err: unknown, event: keyof E) => void) {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(fn as Listener<never>)
    return () => this.off(event, fn)
  }

  /** Adds a listener that is removed after its first call. */
  once<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    const off = this.on(event, (p) => {
      off()
      fn(p)
    })
    return off
  }

  off<K extends keyof E>(event: K, fn: Listener<E[K]>): void {
    this.listeners.get(event)?.delete(fn as Listener<never>)
  }

  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.size ?? 0
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const fn of [...set]) {
      try {
        (fn as Listener<E[K]>)(payload)
      } catch (err) {
        this.onListenerError(err, event)
      }
    }
  }
}
