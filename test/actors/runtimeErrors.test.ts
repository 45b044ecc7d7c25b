/**
 * The actor runtime's own failures (actors/runtime/errors.ts) are coded errors whose codes are
 * the catalogue's entries of the same names, so an ask refused by the runtime reaches clients
 * with the documented code; and an ask rejected on another thread comes back as a CodedError.
 */
import t from 'tap'
import { fromWire, RuntimeError, RuntimeErrors, runtimeWire } from '../../actors/runtime/errors.js'
import { CodedError, ErrorCatalogue, toWireError } from '../../src/core/errors.js'

t.test('each runtime failure has its documented code, and the catalogue lists it under its name', async (t) => {
  const documented = { INTERNAL: 20005, BUSY: 9006, TIMEOUT: 9007, SHUTTING_DOWN: 9008 } as const
  t.strictSame(Object.keys(RuntimeErrors).sort(), Object.keys(documented).sort(), 'the runtime raises these four')
  for (const name of Object.keys(documented) as (keyof typeof documented)[]) {
    t.equal(new RuntimeError(name).code, documented[name], name)
    t.equal(ErrorCatalogue[name].code, documented[name], `${name} in the catalogue`)
  }
})

t.test('runtime errors are coded errors and cross threads as their code', async (t) => {
  const busy = new RuntimeError('BUSY', 'mailbox of user/1/a')
  t.ok(busy instanceof CodedError)
  t.strictSame(toWireError(busy), { code: 9006, message: 'actor mailbox full; retry later: mailbox of user/1/a' })
  t.strictSame(runtimeWire('TIMEOUT'), { code: 9007, message: 'request timed out inside the server' })
  const back = fromWire({ code: 10010, message: 'group does not exist or was destroyed: g' })
  t.ok(back instanceof CodedError)
  t.match(back, { code: 10010, message: 'group does not exist or was destroyed: g', retryable: false })
  t.equal(fromWire(runtimeWire('SHUTTING_DOWN')).retryable, true, 'the runtime knows its own codes are retryable')
})
