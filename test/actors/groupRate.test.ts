/**
 * The per-group message rate limit (actors/group/rate.ts) on a fake clock: a burst of one
 * second's worth, refill at the rate, and in an AVChatRoom the shedding order Lowest, Low,
 * then Normal/High.
 */
import t from 'tap'
import { MessageRate } from '../../actors/group/rate.js'

/** How many of `n` sends at `nowMs` the bucket accepts. */
function burst(r: MessageRate, nowMs: number, n: number, priority?: string, byPriority = false): number {
  let ok = 0
  for (let i = 0; i < n; i++) if (r.take(nowMs, priority, byPriority)) ok++
  return ok
}

t.test('a burst of one second\'s worth, then the rate; refused sends are counted', async (t) => {
  const r = new MessageRate(40, 1_000)
  t.equal(burst(r, 1_000, 100), 40, 'a full bucket takes 40 at once')
  t.equal(r.shed, 60, 'the other 60 are counted as shed')
  t.equal(burst(r, 1_500, 100), 20, 'half a second later: 20 more')
  t.equal(burst(r, 11_500, 100), 40, 'a long pause refills only up to the bucket size')
  t.equal(burst(r, 11_525, 1), 1, '25 ms later: one token again')
  t.equal(burst(r, 11_525, 1), 0)
  t.equal(burst(r, 5_000, 1), 0, 'a clock that goes backwards refills nothing')
  t.equal(r.shed, 60 + 80 + 60 + 1 + 1)
})

t.test('AVChatRoom: Lowest is shed first, then Low, then Normal and High', async (t) => {
  const r = new MessageRate(40, 0)
  t.equal(burst(r, 0, 30, 'Normal', true), 30, '30 Normal take 30 tokens; 10 remain')
  t.equal(burst(r, 0, 5, 'Lowest', true), 0, 'Lowest must leave 20 tokens: refused')
  t.equal(burst(r, 0, 5, 'Low', true), 0, 'Low must leave 10: refused')
  t.equal(burst(r, 0, 20, 'High', true), 10, 'High takes the last 10')
  t.equal(r.shed, 20)

  const s = new MessageRate(40, 0)
  t.equal(burst(s, 0, 100, 'Lowest', true), 20, 'from a full bucket Lowest gets half')
  t.equal(burst(s, 0, 100, 'Low', true), 10, 'Low a quarter more')
  t.equal(burst(s, 0, 100, undefined, true), 10, 'no priority is Normal: the rest')
  t.equal(burst(s, 500, 100, 'Lowest', true), 0, 'half a second later 20 tokens: still none for Lowest')
  t.equal(burst(s, 500, 100, 'Low', true), 10, 'Low gets those above its reserve')
})

t.test('other types treat every priority alike; a rate of 1 still serves every priority', async (t) => {
  const r = new MessageRate(40, 0)
  t.equal(burst(r, 0, 100, 'Lowest', false), 40, 'without shedding Lowest takes every token')
  const one = new MessageRate(1, 0)
  t.equal(burst(one, 0, 3, 'Lowest', true), 1, 'reserves round down: rate 1 has none')
  t.equal(burst(one, 1_000, 1, 'Lowest', true), 1)
})
