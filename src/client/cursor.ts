/**
 * The bridge to the app's optional CursorStore: loads the cursor once, and saves it only
 * when it moved. A failing store never throws into the SDK: `load` fails as a coded error for
 * `connect()`, `save` failures go to `onError`.
 */
import { ClientErrorCodes, ParleyClientError } from './errors.js'
import type { CursorStore } from './types.js'

export class CursorPersistence {
  private saved: number | undefined
  private done = false

  constructor(private readonly store: CursorStore | undefined, private readonly onError: (e: ParleyClientError) => void) {}

  /** Whether `load` has succeeded (it runs once per client). */
  get loaded(): boolean {
    return this.done
  }

  /** The stored cursor, or undefined if there is no store or nothing stored. Throws CURSOR_STORE_FAILED. */
  async load(): Promise<number | undefined> {
    let c: number | undefined
    try {
      c = await this.store?.load()
    } catch (e) {
      throw new ParleyClientError(ClientErrorCodes.CURSOR_STORE_FAILED, 'cursorStore.load failed', { cause: e })
    }
    if (c !== undefined && (!Number.isSafeInteger(c) || c < 0)) {
      throw new ParleyClientError(ClientErrorCodes.CURSOR_STORE_FAILED, `cursorStore.load returned ${String(c)}, not a non-negative integer`)
    }
    this.done = true
    this.saved = c
    return c
  }

  /** Saves `cursor` unless it is the last value loaded or saved. */
  saveIfMoved(cursor: number): void {
    if (!this.store || cursor === (this.saved ?? 0)) return
    this.saved = cursor
    const failed = (e: unknown) => this.onError(new ParleyClientError(ClientErrorCodes.CURSOR_STORE_FAILED, 'cursorStore.save failed', { cause: e }))
    try {
      const r = this.store.save(cursor)
      if (r instanceof Promise) r.catch(failed)
    } catch (e) {
      failed(e)
    }
  }
}
