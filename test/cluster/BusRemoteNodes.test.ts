/**
 * BusRemoteNodes over an in-process bus: outgoing envelopes become relays addressed to the
 * target endpoint; arriving relays reach the thread mesh, which drops those for an earlier
 * incarnation; close() stops forwarding.
 */
import t from 'tap'
import type { Envelope } from '../../actors/runtime/envelope.js'
import { actorIdString } from '../../actors/runtime/ActorId.js'
import { userActor } from '../../actors/user/protocol.js'
import { shardOf } from '../../actors/runtime/placement.js'
import { BusRemoteNodes } from '../../cluster/BusRemoteNodes.js'
import { makeNodeId, threadsOf } from '../../actors/runtime/nodeId.js'
import { LocalNodeBus, LocalNodeHub } from '../../cluster/LocalNodeBus.js'
import { RecordingLog } from '../actors/fixtures/helpers.js'

function recorder() {
  const got: Envelope[] = []
  let waiter: (() => void) | undefined
  return {
    got,
    receive(env: Envelope) {
      got.push(env)
      waiter?.()
    },
    next: () => new Promise<void>((r) => (waiter = r)),
  }
}

t.test('send wraps as a relay to (node, thread); arrivals go to the mesh; close stops that', async (t) => {
  const hub = new LocalNodeHub()
  const log = new RecordingLog()
  const a = new LocalNodeBus({ hub, node: 'A#1', thread: 0, log })
  const b = new LocalNodeBus({ hub, node: 'B#1', thread: 3, log })
  await Promise.all([a.start(), b.start()])
  t.teardown(() => Promise.all([a.stop(), b.stop()]).then(() => undefined))
  const meshA = recorder()
  const meshB = recorder()
  const remoteA = new BusRemoteNodes({ bus: a, mesh: meshA })
  const remoteB = new BusRemoteNodes({ bus: b, mesh: meshB })

  const arrived = meshB.next()
  remoteA.send('B#1', 3, { t: 'push', conn: 5, frame: Uint8Array.of(1, 2) })
  t.same(meshB.got, [], 'asynchronous')
  await arrived
  t.same(meshB.got, [{ t: 'relay', node: 'B#1', thread: 3, env: { t: 'push', conn: 5, frame: Uint8Array.of(1, 2) } }])

  remoteB.close()
  remoteB.close()
  remoteA.send('B#1', 3, { t: 'close', conn: 5, code: 4002, reason: 'x' })
  await a.drain()
  t.equal(meshB.got.length, 1, 'nothing forwarded after close')
  t.match(b.stats(), { received: 2 }, 'although the bus still received it')

  const back = meshA.next()
  remoteB.send('A#1', 0, { t: 'reply', id: 1, ok: true, value: 'v' })
  await back
  t.same(meshA.got, [{ t: 'relay', node: 'A#1', thread: 0, env: { t: 'reply', id: 1, ok: true, value: 'v' } }])
  remoteA.close()
})

t.test('tells and asks go to the thread the target node places the actor on, by its own thread count', async (t) => {
  const hub = new LocalNodeHub()
  const log = new RecordingLog()
  const target = makeNodeId('big', 5)
  t.equal(threadsOf(target), 5, 'the id carries the thread count')
  t.equal(threadsOf('legacy#abc'), undefined)
  const a = new LocalNodeBus({ hub, node: makeNodeId('small', 1), thread: 0, log })
  const targets = Array.from({ length: 5 }, (_, i) => new LocalNodeBus({ hub, node: target, thread: i, log }))
  await Promise.all([a.start(), ...targets.map((b) => b.start())])
  t.teardown(() => Promise.all([a.stop(), ...targets.map((b) => b.stop())]).then(() => undefined))
  const meshes = targets.map(() => recorder())
  targets.forEach((b, i) => new BusRemoteNodes({ bus: b, mesh: meshes[i] }))
  const remote = new BusRemoteNodes({ bus: a, mesh: recorder() })
  const id = userActor(1400000001, 'someone')
  const home = shardOf(id, 5)
  const arrived = meshes[home].next()
  remote.send(target, 0, { t: 'tell', to: actorIdString(id), msg: { kind: 'x' } })
  await arrived
  t.equal(meshes[home].got.length, 1, `delivered to thread ${home} of 5 (the sender's hint was 0)`)
  t.match(meshes[home].got[0], { t: 'relay', thread: home })
  remote.close()
})
