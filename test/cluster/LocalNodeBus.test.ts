/** LocalNodeBus: the NodeBus conformance suite over an in-process hub, and the hub's own rules. */
import t from 'tap'
import { LocalNodeBus, LocalNodeHub } from '../../cluster/LocalNodeBus.js'
import { RecordingLog } from '../actors/fixtures/helpers.js'
import { nodeBusConformance } from './fixtures/nodeBusSuite.js'

nodeBusConformance(t, 'LocalNodeBus', async (t) => {
  const hub = new LocalNodeHub()
  const created: LocalNodeBus[] = []
  t.teardown(async () => {
    await Promise.all(created.map((b) => b.stop()))
  })
  return {
    create(node, thread) {
      const bus = new LocalNodeBus({ hub, node, thread, log: new RecordingLog() })
      created.push(bus)
      return bus
    },
  }
})

t.test('LocalNodeHub: one endpoint per address; hubs are independent', async (t) => {
  const log = new RecordingLog()
  const hub = new LocalNodeHub()
  const a = new LocalNodeBus({ hub, node: 'A#1', thread: 0, log })
  const twin = new LocalNodeBus({ hub, node: 'A#1', thread: 0, log })
  await a.start()
  await t.rejects(twin.start(), { message: /already attached/ })
  const elsewhere = new LocalNodeBus({ hub: new LocalNodeHub(), node: 'A#1', thread: 0, log })
  await elsewhere.start()
  elsewhere.send('A#1', 0, { t: 'relay', node: 'A#1', thread: 0, env: { t: 'tell', to: 'user/1/u', msg: { kind: 'x' } } })
  await elsewhere.drain()
  t.match(elsewhere.stats(), { received: 1 }, 'it reached its own hub only')
  t.match(a.stats(), { received: 0 })
  t.throws(() => new LocalNodeBus({ hub, node: 'A#1', thread: -1, log }), RangeError)
  await Promise.all([a.stop(), twin.stop(), elsewhere.stop()])
})
