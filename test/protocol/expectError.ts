/** Assertions shared by the protocol validation tests. Not a test file itself. */
import type { Test } from 'tap'
import { ParleyError } from '../../src/core/errors.js'

/** Asserts that `fn` throws a ParleyError with `code` whose message names `field`. */
export function expectError(t: Test, fn: () => unknown, code: number, field: string): void {
  let thrown: unknown
  try {
    fn()
  } catch (e) {
    thrown = e
  }
  if (!(thrown instanceof ParleyError)) {
    t.fail(`expected ParleyError ${code} naming ${field}, got ${String(thrown)}`)
    return
  }
  t.equal(thrown.code, code, `code for ${field}`)
  t.ok(thrown.message.includes(field), `message "${thrown.message}" names ${field}`)
}
