/** LaterReply: the actor takes its next message while an earlier reply waits on a promise. */
import t from 'tap'
import { userActor } from '../../actors/user/protocol.js'
import { type Actor, type ActorContext, type DeactivationReason } from '../../actors/runtime/types.js'
import { LaterReply } from '../../actors/runtime/protocol.js'
import { ParleyError } from '../../src/core/errors.js'
import { LocalHarness } from './fixtures/helpers.js'

interface Gate { promise: Promise<unknown>; resolve(v: unknown): void; reject(e: unknown): void }
function gate(): Gate {
  let resolve!: (v: unknown) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<unknown>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

type Msg = { kind: 'later'; gate: number } | { kind: 'now' }
const later = (gate: number): Msg => ({ kind: 'later', gate })

function harness(gates: Gate[], log: string[]) {
  class Pipelined implements Actor {
    constructor(private readonly ctx: ActorContext) {}
    async onActivate(): Promise<void> { log.push('activate') }
    async onDeactivate(r: DeactivationReason): Promise<void> { log.push(`deactivate ${r}`) }
    async handle(raw: { kind: string }): Promise<unknown> {
      const m = raw as Msg
      log.push(`handle ${m.kind}`)
      if (m.kind === 'later') return new LaterReply(gates[m.gate].promise)
      return 'now'
    }
  }
  return new LocalHarness({ factories: { user: (ctx) => new Pipelined(ctx) }, deps: {} })
}

t.test('a pending later reply does not block the next message; replies follow their promises', async (t) => {
  const gates = [gate(), gate()]
  const log: string[] = []
  const h = harness(gates, log)
  t.teardown(() => h.host.stop())
  const u = userActor(1, 'u')
  const first = h.ask(u, later(0))
  const second = h.ask(u, { kind: 'now' })
  t.equal(await second, 'now', 'the second message was answered while the first waits')
  t.same(log, ['activate', 'handle later', 'handle now'])
  gates[0].resolve('done')
  t.equal(await first, 'done', 'the first is answered when its promise resolves')
})

t.test('a coded rejection is the reply; any other rejection is a fault that restarts the actor', async (t) => {
  const gates = [gate(), gate()]
  const log: string[] = []
  const h = harness(gates, log)
  t.teardown(() => h.host.stop())
  const u = userActor(1, 'v')
  const coded = h.ask(u, later(0))
  gates[0].reject(new ParleyError('RECALL_WINDOW_PASSED'))
  await t.rejects(coded, { code: 20016 })
  t.notOk(log.includes('deactivate failed'), 'a coded failure keeps the activation')
  const faulty = h.ask(u, later(1))
  gates[1].reject(new Error('disk on fire'))
  await t.rejects(faulty, { code: 20005 })
  t.equal(await h.ask(u, { kind: 'now' }), 'now', 'the next message is served by a new activation')
  t.same(log.filter((l) => l.startsWith('activate') || l.startsWith('deactivate')), ['activate', 'deactivate failed', 'activate'])
})
