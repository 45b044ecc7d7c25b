/**
 * The runner the store conformance suites share: each case gets a fresh, empty store from the
 * implementation's factory, a `reopen` that closes the open store and opens another over the
 * same data, and a teardown that closes whatever is open and removes the data.
 */
import type { Test } from 'tap'

export interface StoreFixture<S> {
  /** An empty store. */
  store: S
  /** Opens another store over the same data; the suite has closed the previous store first. */
  reopen(): Promise<S>
  /** Removes the data; called after the suite closed every store it opened. */
  cleanup(): Promise<void>
}

export type StoreFactory<S> = () => Promise<StoreFixture<S>>

export type ConformanceCase<S> = (t: Test, store: S, reopen: () => Promise<S>) => Promise<void>

/** Runs each `[title, case]` as a subtest named `${name}: ${title}`. */
export function runConformance<S extends { close(): Promise<void> }>(
  t: Test, name: string, factory: StoreFactory<S>, cases: readonly [string, ConformanceCase<S>][],
): void {
  for (const [title, body] of cases) {
    t.test(`${name}: ${title}`, async (t) => {
      const f = await factory()
      let open: S | undefined = f.store
      t.teardown(async () => {
        await open?.close()
        await f.cleanup()
      })
      const reopen = async (): Promise<S> => {
        await open?.close()
        open = undefined
        open = await f.reopen()
        return open
      }
      await body(t, f.store, reopen)
    })
  }
}
