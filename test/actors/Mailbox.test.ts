import t from 'tap'
import { DEFAULT_MAILBOX_CAPACITY, DROP_REPORT_INTERVAL_MS, Mailbox } from '../../actors/runtime/Mailbox.js'

t.test('FIFO across growth and wrap-around, reply addresses kept with their messages', async (t) => {
  const mb = new Mailbox<number, string>(100)
  const out: [number, string | undefined][] = []
  let next = 0
  // Interleave enqueues and takes so the ring wraps while it grows.
  for (let round = 0; round < 10; round++) {
    for (let k = 0; k < 9; k++) {
      const n = next++
      t.equal(mb.enqueue(n, n % 3 === 0 ? `r${n}` : undefined), 'queued')
    }
    for (let k = 0; k < 4; k++) {
      const m = mb.take()!
      out.push([m, mb.takenReply])
    }
  }
  for (let m = mb.take(); m !== undefined; m = mb.take()) out.push([m, mb.takenReply])
  t.same(out.map(([m]) => m), Array.from({ length: 90 }, (_, i) => i))
  t.ok(out.every(([m, r]) => r === (m % 3 === 0 ? `r${m}` : undefined)))
  t.equal(mb.size, 0)
  t.equal(mb.take(), undefined)
  t.equal(mb.takenReply, undefined)
})

t.test('overflow policy: asks refused as busy, tells dropped, both counted', async (t) => {
  const mb = new Mailbox<string, number>(3)
  t.equal(mb.enqueue('a'), 'queued')
  t.equal(mb.enqueue('b', 1), 'queued')
  t.equal(mb.enqueue('c'), 'queued')
  t.equal(mb.enqueue('d', 2), 'busy')
  t.equal(mb.enqueue('e'), 'dropped')
  t.equal(mb.enqueue('f'), 'dropped')
  t.equal(mb.size, 3)
  t.equal(mb.rejectedAsks, 1)
  t.equal(mb.droppedTells, 2)
  t.equal(mb.take(), 'a')
  t.equal(mb.enqueue('g', 3), 'queued', 'room again after a take')
  t.same([mb.take(), mb.take(), mb.take()], ['b', 'c', 'g'])
})

t.test('drop reports: at most one per interval, carrying the count since the last one', async (t) => {
  const mb = new Mailbox<string, number>(1)
  mb.enqueue('x')
  t.equal(mb.dropReport(0), 0, 'nothing dropped yet')
  mb.enqueue('y')
  mb.enqueue('z')
  t.equal(mb.dropReport(10_000), 2)
  mb.enqueue('w')
  t.equal(mb.dropReport(10_000 + DROP_REPORT_INTERVAL_MS - 1), 0, 'within the interval')
  mb.enqueue('v')
  t.equal(mb.dropReport(10_000 + DROP_REPORT_INTERVAL_MS), 2, 'both held-back drops reported')
  t.equal(mb.droppedTells, 4)
})

t.test('capacity: default and validation', async (t) => {
  t.equal(new Mailbox().capacity, DEFAULT_MAILBOX_CAPACITY)
  t.equal(DEFAULT_MAILBOX_CAPACITY, 10_000)
  t.throws(() => new Mailbox(0), RangeError)
  t.throws(() => new Mailbox(1.5), RangeError)
  const big = new Mailbox<number, never>(DEFAULT_MAILBOX_CAPACITY)
  for (let i = 0; i < DEFAULT_MAILBOX_CAPACITY; i++) big.enqueue(i)
  t.equal(big.enqueue(-1), 'dropped')
  t.equal(big.take(), 0)
})
