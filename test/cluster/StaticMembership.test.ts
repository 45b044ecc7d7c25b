/** StaticMembership: the Membership conformance suite (fixed-list part) and its own options. */
import t from 'tap'
import { StaticMembership } from '../../cluster/StaticMembership.js'
import { RecordingLog } from '../actors/fixtures/helpers.js'
import { membershipConformance } from './fixtures/membershipSuite.js'

membershipConformance(
  t,
  'StaticMembership',
  async (t) => {
    const created: StaticMembership[] = []
    t.teardown(() => Promise.all(created.map((m) => m.stop())).then(() => undefined))
    return {
      create(self, all) {
        const m = new StaticMembership({ self, nodes: all, log: new RecordingLog() })
        created.push(m)
        return m
      },
    }
  },
  { dynamic: false },
)

t.test('StaticMembership: embedded default is this node alone; self is always included', async (t) => {
  const log = new RecordingLog()
  const alone = new StaticMembership({ self: 'n1#a', log })
  await alone.start()
  t.same(alone.snapshot(), { version: 1, nodes: ['n1#a'] })
  const listed = new StaticMembership({ self: 'n2#a', nodes: ['n3#a', 'n1#a', 'n3#a'], version: 7, log })
  await listed.start()
  t.same(listed.snapshot(), { version: 7, nodes: ['n1#a', 'n2#a', 'n3#a'] }, 'sorted, deduplicated, self added')
  t.throws(() => new StaticMembership({ self: 'x', version: 0, log }), RangeError)
  const quiet = new StaticMembership({ self: 'q#a', log })
  quiet.onChange(() => t.fail('no listener call after stop'))
  await quiet.stop()
  await quiet.start()
  t.same(quiet.snapshot().nodes, [], 'a stopped member does not start')
})
