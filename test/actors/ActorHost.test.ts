import t from 'tap'
import { type ActorId, actorIdString } from '../../actors/runtime/ActorId.js'
import { groupActor } from '../../actors/group/protocol.js'
import { userActor } from '../../actors/user/protocol.js'
import type { Actor, ActorContext, DeactivationReason } from '../../actors/runtime/types.js'
import type { ActorMessage } from '../../actors/runtime/protocol.js'
import { ParleyError } from '../../src/core/errors.js'
import { type Deferred, LocalHarness, deferred } from './fixtures/helpers.js'

/** What the test actors report back to the test. */
class Journal {
  readonly events: string[] = []
  private eventWaiters: { event: string; resolve: () => void }[] = []

  note(event: string): void {
    this.events.push(event)
    this.eventWaiters = this.eventWaiters.filter((w) => (w.event === event ? (w.resolve(), false) : true))
  }

  event(event: string): Promise<void> {
    if (this.events.includes(event)) return Promise.resolve()
    return new Promise((resolve) => this.eventWaiters.push({ event, resolve }))
  }

  activations = 0
  active = 0
  maxActive = 0
  /** Set to make the next onActivate wait for it. */
  activationGate: Deferred | null = null
  /** Per-key gates that `{kind:'wait'}` awaits. */
  readonly gates = new Map<string, Deferred>()
  deactivated = new Map<string, Deferred<DeactivationReason>>()
  allowIdle = true
  canDeactivateCalls = 0
  onCanDeactivate: (() => void) | null = null
  contexts: ActorContext[] = []

  deactivation(key: string): Promise<DeactivationReason> {
    let d = this.deactivated.get(key)
    if (!d) this.deactivated.set(key, (d = deferred<DeactivationReason>()))
    return d.promise
  }
}

type TestMsg =
  | { kind: 'add'; n: number }
  | { kind: 'get' }
  | { kind: 'wait'; gate: string; tag: string }
  | { kind: 'step'; tag: string }
  | { kind: 'boom' }
  | { kind: 'refuse' }
  | { kind: 'arm'; ms: number; tag: string }
  | { kind: 'tick'; tag: string }

const tick = (tag: string): TestMsg => ({ kind: 'tick', tag })

class TestActor implements Actor {
  private count = 0
  constructor(
    private readonly ctx: ActorContext,
    private readonly j: Journal,
  ) {
    j.contexts.push(ctx)
  }

  async onActivate(): Promise<void> {
    const key = actorIdString(this.ctx.self)
    this.j.note(`activate ${key}`)
    this.j.activations++
    const gate = this.j.activationGate
    if (gate) await gate.promise
    this.j.note(`activated ${key}`)
  }

  async handle(raw: ActorMessage): Promise<unknown> {
    const msg = raw as TestMsg
    this.j.active++
    this.j.maxActive = Math.max(this.j.maxActive, this.j.active)
    try {
      switch (msg.kind) {
        case 'add':
          this.count += msg.n
          return this.count
        case 'get':
          return this.count
        case 'wait':
          this.j.note(`start ${msg.tag}`)
          await this.gate(msg.gate).promise
          await Promise.resolve()
          this.j.note(`end ${msg.tag}`)
          return msg.tag
        case 'step':
          this.j.note(`step ${msg.tag}`)
          await new Promise((r) => setImmediate(r))
          this.j.note(`stepped ${msg.tag}`)
          return msg.tag
        case 'boom':
          this.ctx.timers.once(0, tick('after-boom'))
          throw new Error('kaboom')
        case 'refuse':
          throw new ParleyError('INVALID_PARAMS', 'no thanks')
        case 'arm':
          return this.ctx.timers.once(msg.ms, tick(msg.tag))
        case 'tick':
          this.j.note(`tick ${msg.tag}`)
          return undefined
      }
    } finally {
      this.j.active--
    }
  }

  async onDeactivate(reason: DeactivationReason): Promise<void> {
    const key = actorIdString(this.ctx.self)
    this.j.note(`deactivate ${key} ${reason}`)
    let d = this.j.deactivated.get(key)
    if (!d) this.j.deactivated.set(key, (d = deferred<DeactivationReason>()))
    d.resolve(reason)
  }

  canDeactivate(): boolean {
    this.j.canDeactivateCalls++
    this.j.onCanDeactivate?.()
    return this.j.allowIdle
  }

  private gate(name: string): Deferred {
    let g = this.j.gates.get(name)
    if (!g) this.j.gates.set(name, (g = deferred()))
    return g
  }
}

function setup(opts: { idleMs?: number; sweepMs?: number; mailboxCapacity?: number; now?: () => number } = {}) {
  const j = new Journal()
  const h = new LocalHarness({
    factories: { user: (ctx) => new TestActor(ctx, j), group: (ctx) => new TestActor(ctx, j) },
    deps: undefined,
    ...opts,
  })
  const ask = <R = unknown>(id: ActorId, msg: TestMsg) => h.ask<R>(id, msg)
  const tell = (id: ActorId, msg: TestMsg) => h.tell(id, msg)
  return { j, h, ask, tell }
}

const alice = userActor(1, 'alice')
const bob = userActor(1, 'bob')

t.test('one message at a time per actor, in order, across awaits', async (t) => {
  const { j, h, ask, tell } = setup()
  t.teardown(() => h.host.stop())
  const gateOf = (tag: string) => {
    const g = deferred()
    j.gates.set(tag, g)
    return g
  }
  const g1 = gateOf('g1')
  const g2 = gateOf('g2')
  const r1 = ask(alice, { kind: 'wait', gate: 'g1', tag: 'm1' })
  const r2 = ask(alice, { kind: 'wait', gate: 'g2', tag: 'm2' })
  const r3 = ask(alice, { kind: 'step', tag: 'm3' })
  // Another actor proceeds while alice is blocked.
  t.equal(await ask(bob, { kind: 'step', tag: 'b1' }), 'b1')
  t.notOk(j.events.includes('start m2'), 'm2 not started while m1 awaits')
  g2.resolve()
  await Promise.resolve()
  t.notOk(j.events.includes('start m2'), 'resolving m2 gate early does not start it')
  g1.resolve()
  t.same(await Promise.all([r1, r2, r3]), ['m1', 'm2', 'm3'])
  const aliceEvents = j.events.filter((e) => /m\d/.test(e))
  t.same(aliceEvents, ['start m1', 'end m1', 'start m2', 'end m2', 'step m3', 'stepped m3'])
})

t.test('onActivate completes before the first message; messages during activation queue in order', async (t) => {
  const { j, h, ask, tell } = setup()
  t.teardown(() => h.host.stop())
  const gate = deferred()
  j.activationGate = gate
  tell(alice, { kind: 'add', n: 1 })
  const p2 = ask(alice, { kind: 'add', n: 10 })
  const p3 = ask(alice, { kind: 'get' })
  await new Promise((r) => setImmediate(r))
  t.same(j.events, ['activate user/1/alice'], 'activation started, nothing handled yet')
  j.activationGate = null
  gate.resolve()
  t.equal(await p2, 11)
  t.equal(await p3, 11)
  t.equal(j.activations, 1)
  t.equal(j.maxActive, 1)
})

t.test('a throwing handler: INTERNAL reply, logged, re-activated by the next message, others unaffected', async (t) => {
  const { j, h, ask, tell } = setup()
  t.teardown(() => h.host.stop())
  await ask(alice, { kind: 'add', n: 5 })
  await ask(bob, { kind: 'add', n: 7 })
  const failed = j.deactivation('user/1/alice')
  await t.rejects(ask(alice, { kind: 'boom' }), { code: 20005 })
  t.equal(await failed, 'failed')
  const line = h.log.at('error').find((l) => l.fields.actor === 'user/1/alice')
  t.ok(line, 'error logged with the actor id')
  t.match(String(line?.fields.error), /kaboom/)
  t.equal(await ask(alice, { kind: 'get' }), 0, 'state re-loaded from scratch by a new activation')
  t.equal(await ask(bob, { kind: 'get' }), 7, 'the other actor kept its state')
  t.equal(j.activations, 3, 'alice twice, bob once')
  // Node runs timers of one duration in the order they were armed: this one fires after the
  // 0 ms timer the failing handler armed, had it not been cleared.
  await new Promise((r) => setTimeout(r, 0))
  t.notOk(j.events.includes('tick after-boom'), 'timer armed before the fault was cleared with the activation')
  const stats = h.host.stats()
  t.equal(stats.faults, 1)
  t.equal(stats.deactivated, 1)
})

t.test('a failed onActivate fails the queued messages and the next message retries', async (t) => {
  let fail = true
  const log: string[] = []
  const h = new LocalHarness({
    deps: undefined,
    factories: {
      user: () => ({
        async onActivate() {
          log.push('activate')
          if (fail) throw new Error('store down')
        },
        async handle() {
          return 'ok'
        },
        async onDeactivate() {},
      }),
    },
  })
  t.teardown(() => h.host.stop())
  const a = h.ask(alice, { kind: 'x' })
  const b = h.ask(alice, { kind: 'y' })
  await t.rejects(a, { code: 20005 })
  await t.rejects(b, { code: 20005 })
  t.same(log, ['activate'], 'one attempt for the whole queue')
  fail = false
  t.equal(await h.ask(alice, { kind: 'z' }), 'ok')
})

t.test('a ParleyError is the ask failure and nothing else', async (t) => {
  const { j, h, ask, tell } = setup()
  t.teardown(() => h.host.stop())
  await ask(alice, { kind: 'add', n: 3 })
  await t.rejects(ask(alice, { kind: 'refuse' }), { code: 70402, message: /no thanks/ })
  t.equal(await ask(alice, { kind: 'get' }), 3, 'same activation, state intact')
  t.equal(j.activations, 1)
  t.equal(h.log.at('error').length, 0, 'not logged as a fault')
  t.equal(h.host.stats().faults, 0)
})

t.test('idle deactivation waits for canDeactivate', async (t) => {
  const { j, h, ask, tell } = setup({ idleMs: 5, sweepMs: 2 })
  t.teardown(() => h.host.stop())
  j.allowIdle = false
  await ask(alice, { kind: 'add', n: 1 })
  await new Promise<void>((resolve) => {
    j.onCanDeactivate = () => j.canDeactivateCalls >= 3 && resolve()
  })
  t.notOk(j.deactivated.has('user/1/alice'), 'kept while canDeactivate() is false')
  j.allowIdle = true
  const reason = await j.deactivation('user/1/alice')
  t.equal(reason, 'idle')
  t.equal(h.host.stats().deactivated, 1)
  t.equal(await ask(alice, { kind: 'get' }), 0, 'next message re-activates')
  t.equal(j.activations, 2)
})

t.test('timers deliver through the mailbox and are cleared on deactivation', async (t) => {
  const { j, h, ask, tell } = setup({ idleMs: 5, sweepMs: 2 })
  t.teardown(() => h.host.stop())
  // Kept active until the first tick: on a loaded machine the idle sweep could otherwise
  // deactivate the actor (clearing the timer) before a 1 ms timer fires.
  j.allowIdle = false
  await ask(alice, { kind: 'arm', ms: 1, tag: 'soon' })
  await j.event('tick soon')
  t.pass('timer message handled')
  j.allowIdle = true
  const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  await ask(alice, { kind: 'arm', ms: 3_600_000, tag: 'never' })
  t.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, timersBefore + 1, 'one hour timer armed')
  t.equal(await j.deactivation('user/1/alice'), 'idle', 'idle even with a timer armed')
  t.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, timersBefore, 'timer cleared')
  const ctx = j.contexts[0]!
  ctx.timers.once(0, tick('stale'))
  t.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, timersBefore, 'a stale context arms nothing')
})

t.test('mailbox overflow: ask refused with BUSY at once, tell dropped, counted, logged once per second', async (t) => {
  let clock = 1_000_000
  const { j, h, ask, tell } = setup({ mailboxCapacity: 2, now: () => clock })
  t.teardown(() => h.host.stop())
  const gate = deferred()
  j.gates.set('g', gate)
  const blocked = ask(alice, { kind: 'wait', gate: 'g', tag: 'head' })
  await new Promise((r) => setImmediate(r))
  t.ok(j.events.includes('start head'), 'head message taken; mailbox empty')
  const q1 = ask(alice, { kind: 'add', n: 1 })
  tell(alice, { kind: 'add', n: 1 })
  tell(alice, { kind: 'add', n: 100 })
  await t.rejects(ask(alice, { kind: 'get' }), { code: 9006 }, 'BUSY while the handler is still blocked')
  tell(alice, { kind: 'add', n: 100 })
  t.equal(h.log.at('warn').filter((l) => /mailbox full/.test(l.msg)).length, 1, 'second drop within 1 s not logged')
  clock += 1_000
  tell(alice, { kind: 'add', n: 100 })
  const warns = h.log.at('warn').filter((l) => /mailbox full/.test(l.msg))
  t.equal(warns.length, 2)
  t.match(warns[0]!.fields, { actor: 'user/1/alice', dropped: 1 })
  t.match(warns[1]!.fields, { actor: 'user/1/alice', dropped: 2 })
  t.match(h.host.stats(), { droppedTells: 3, rejectedAsks: 1 })
  gate.resolve()
  await blocked
  t.equal(await q1, 1)
  t.equal(await ask(alice, { kind: 'get' }), 2, 'queued messages kept, dropped ones never applied')
})

t.test('stop deactivates everything with shutdown and refuses new messages', async (t) => {
  const { j, h, ask, tell } = setup()
  await ask(alice, { kind: 'add', n: 1 })
  await ask(groupActor(1, 'g1'), { kind: 'add', n: 1 })
  const last = ask(alice, { kind: 'step', tag: 'last' })
  await h.host.stop()
  t.equal(await last, 'last', 'queued work finished before shutdown')
  t.equal(await j.deactivation('user/1/alice'), 'shutdown')
  t.equal(await j.deactivation('group/1/g1'), 'shutdown')
  t.equal(h.host.stats().activations, 0)
  await t.rejects(ask(alice, { kind: 'get' }), { code: 9008 })
})

t.test('a message for a kind without a factory, or a malformed id, is refused INTERNAL', async (t) => {
  const h = new LocalHarness({ deps: undefined, factories: {} })
  t.teardown(() => h.host.stop())
  await t.rejects(h.ask(alice, { kind: 'get' }), { code: 20005 })
  await t.rejects(h.ask({ kind: 'nope', app: 1, key: 'x' } as unknown as ActorId, { kind: 'get' }), { code: 20005 })
  t.equal(h.host.stats().activations, 0)
  t.equal(h.log.at('error').length, 2)
})

t.test('rehome deactivates the actors that moved (with reason moved), whatever canDeactivate says', async (t) => {
  const { j, h, ask } = setup()
  t.teardown(() => h.host.stop())
  j.allowIdle = false
  const carol = userActor(1, 'carol')
  await ask(alice, { kind: 'add', n: 1 })
  await ask(bob, { kind: 'add', n: 2 })
  const busy = ask(carol, { kind: 'wait', gate: 'g', tag: 'busy' })
  await j.event('start busy')
  const moved = h.host.rehome((id) => id.key === 'alice')
  t.equal(moved, 2, 'bob and carol moved; alice stays')
  t.equal(await j.deactivation('user/1/bob'), 'moved')
  t.notOk(j.events.includes('deactivate user/1/carol moved'), 'carol finishes the message it is handling first')
  j.gates.get('g')!.resolve()
  t.equal(await busy, 'busy')
  t.equal(await j.deactivation('user/1/carol'), 'moved')
  const activations = j.activations
  t.equal(await ask(alice, { kind: 'get' }), 1, 'alice kept her activation and state')
  t.equal(j.activations, activations)
  t.equal(await ask(bob, { kind: 'get' }), 0, 'a later message to bob reactivates him (here, from an empty store)')
  t.equal(j.activations, activations + 1)
  t.equal(h.host.rehome(() => true), 0, 'nothing moves when everything is home')
})

t.test('a tell marked ifActive reaches an active actor but never activates one', async (t) => {
  const { j, h, ask } = setup()
  t.teardown(() => h.host.stop())
  h.host.deliver(actorIdString(alice), { kind: 'add', n: 5, ifActive: true } as ActorMessage)
  t.equal(j.activations, 0, 'not activated')
  t.equal(h.host.stats().activations, 0)
  t.equal(await ask(alice, { kind: 'get' }), 0, 'and the message was dropped')
  h.host.deliver(actorIdString(alice), { kind: 'add', n: 5, ifActive: true } as ActorMessage)
  t.equal(await ask(alice, { kind: 'get' }), 5, 'delivered once the actor is active')
  t.equal(j.activations, 1)
})
