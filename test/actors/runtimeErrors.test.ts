/**
 * The actor runtime's own failures (actors/runtime/errors.ts) are coded errors whose codes are
 * the catalogue's entries of the same names, so an ask refused by the runtime reaches clients
 * with the documented code; and an ask rejected on another thread comes back as a CodedError.
 */
import t from 'tap'
import { fromWire, RuntimeError, RuntimeErrors, runtimeWire } from '../../actors/runtime/errors.js'
import { CodedError, ErrorCatalogue, toWireError } from '../../src/core/errors.js'

t.test('each runtime code is the catalogue entry of the same name', async (t) => {
  for (const name of Object.keys(RuntimeErrors) as (keyof typeof RuntimeErrors)[]) {
    t.strictSame(ErrorCatalogue[name], RuntimeErrors[name], name)
    t.equal(new RuntimeError(name).code, ErrorCatalogue[name].code, `${name}: RuntimeError carries the code`)
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
