/** A worker thread's forwarded membership view: newer snapshots only, listeners told once each. */
import t from 'tap'
import { ForwardedMembership } from '../../cluster/ForwardedMembership.js'
import { RecordingLog } from '../actors/fixtures/helpers.js'

t.test('adopts only newer snapshots and tells listeners', async (t) => {
  const m = new ForwardedMembership('me#1.2', new RecordingLog())
  t.same(m.snapshot(), { version: 0, nodes: ['me#1.2'] }, 'alone at version 0 until told otherwise')
  const heard: number[] = []
  const off = m.onChange((s) => heard.push(s.version))
  t.ok(m.adopt({ version: 3, nodes: ['me#1.2', 'x#1.2'] }))
  t.notOk(m.adopt({ version: 3, nodes: ['me#1.2'] }), 'same version: ignored')
  t.notOk(m.adopt({ version: 2, nodes: [] }), 'older: ignored')
  t.same(m.snapshot(), { version: 3, nodes: ['me#1.2', 'x#1.2'] })
  t.ok(Object.isFrozen(m.snapshot()) && Object.isFrozen(m.snapshot().nodes), 'frozen')
  off()
  t.ok(m.adopt({ version: 4, nodes: ['me#1.2'] }))
  t.same(heard, [3], 'each adoption heard once; not after removal')
  const fixed = new ForwardedMembership('solo#1.1', new RecordingLog(), { version: 1, nodes: ['solo#1.1'] })
  t.same(fixed.snapshot(), { version: 1, nodes: ['solo#1.1'] }, 'an initial snapshot (embedded mode)')
})
