/**
 * ActorContext.takeQueued on a real ActorHost: a handler takes the like messages waiting at
 * the head of its mailbox (stopping at the first unlike one, and at `max`), in order, and
 * answers each through `settle`: a value, a coded failure, or later.
 */
import t from 'tap'
import { userActor } from '../../actors/user/protocol.js'
import type { Actor, ActorContext } from '../../actors/runtime/types.js'
import type { ActorMessage } from '../../actors/runtime/protocol.js'
import { ParleyError } from '../../src/core/errors.js'
import { LocalHarness } from './fixtures/helpers.js'

type Msg = { kind: 'sum'; n: number } | { kind: 'other' }

/** On `sum`, takes up to 3 more queued sums and answers each with the batch's size and its own n (n < 0: 10004). */
class Summer implements Actor {
  readonly batches: number[][] = []
  constructor(private readonly ctx: ActorContext) {}
  async onActivate(): Promise<void> {}
  async onDeactivate(): Promise<void> {}
  async handle(raw: ActorMessage): Promise<unknown> {
    const m = raw as Msg
    if (m.kind === 'other') return 'other'
    const rest = this.ctx.takeQueued((x) => x.kind === 'sum', 3)
    const ns = [m.n, ...rest.map((r) => (r.msg as Extract<Msg, { kind: 'sum' }>).n)]
    this.batches.push(ns)
    const answer = (n: number) => (n < 0 ? Promise.reject(new ParleyError('GROUP_INVALID_PARAMS', `n ${n}`)) : Promise.resolve(`${ns.length}:${n}`))
    rest.forEach((r, i) => r.settle(answer(ns[i + 1]!)))
    return answer(m.n)
  }
}

t.test('takes the like messages at the head, at most max, each answered', async (t) => {
  let actor: Summer | undefined
  const h = new LocalHarness({ factories: { user: (ctx) => (actor = new Summer(ctx)) }, deps: {} })
  t.teardown(() => h.host.stop())
  const id = userActor(1, 'u')
  await h.ask(id, { kind: 'other' }) // active, so the next ask starts at once
  const asks = [
    { kind: 'sum', n: 1 }, { kind: 'sum', n: 2 }, { kind: 'sum', n: -3 }, { kind: 'sum', n: 4 }, { kind: 'sum', n: 5 },
    { kind: 'sum', n: 6 }, { kind: 'other' }, { kind: 'sum', n: 7 },
  ].map((m) => h.ask(id, m).then((v) => v, (e: { code: number }) => e.code))
  t.same(await Promise.all(asks), ['1:1', '4:2', 10004, '4:4', '4:5', '1:6', 'other', '1:7'])
  t.same(actor!.batches, [[1], [2, -3, 4, 5], [6], [7]], 'in order; max 3 more; stops at an unlike message')
})
