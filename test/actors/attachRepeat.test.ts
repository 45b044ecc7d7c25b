/**
 * A login's `attach` may reach a user's session twice for one connection: the gateway resends
 * it when the node it first went to fails (resendIfNodeLeaves), and the first copy may have
 * been handled there and written to the durable connection registry, from which the next
 * activation loads it. The second attach is the same device: it kicks no one under any
 * login policy, while a different connection of the same platform is still kicked.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { userActor } from '../../actors/user/protocol.js'
import type { ActorDeps } from '../../actors/deps.js'
import type { ConnRef } from '../../actors/runtime/types.js'
import { UserSession } from '../../actors/user/UserSession.js'
import { createAppRegistry, type MultiLoginPolicy } from '../../src/model/apps.js'
import { CloseCodes } from '../../src/protocol/frames.js'
import { Checkpointer } from '../../actors/conv/Checkpointer.js'
import { LmdbConvIndex } from '../../src/store/lmdb/LmdbConvIndex.js'
import { LmdbShardLog } from '../../src/store/lmdb/LmdbShardLog.js'
import { openLmdb } from '../../src/store/lmdb/openLmdb.js'
import { openLmdbStores } from '../../src/store/lmdb/openLmdbStores.js'
import { LocalHarness, memoryRegistry } from './fixtures/helpers.js'

const APP = 1400000003
async function setup(t: Test, multiLogin: MultiLoginPolicy) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-attach-'))
  const stores = await openLmdbStores(dir)
  const handle = openLmdb(dir)
  const checkpointer = new Checkpointer(new LmdbShardLog(handle), new LmdbConvIndex(handle))
  const deps: ActorDeps = {
    ...stores, connections: memoryRegistry(), groupMsgRate: 40, checkpointer, convShards: 64,
    apps: createAppRegistry([{ sdkAppId: APP, secretKey: 'k', admins: ['admin'], multiLogin, recallWindowSeconds: 120 }]),
  }
  const harnesses: LocalHarness<ActorDeps>[] = []
  /** A fresh host over the same store and registry: the session's next activation. */
  const activation = () => {
    const h = new LocalHarness<ActorDeps>({ factories: { user: (ctx) => new UserSession(ctx) }, deps })
    harnesses.push(h)
    return h
  }
  t.teardown(async () => {
    for (const h of harnesses) await h.host.stop()
    await checkpointer.close()
    await handle.close()
    await stores.close()
    await rm(dir, { recursive: true, force: true })
  })
  return activation
}

const alice = userActor(APP, 'alice')
const attach = (conn: ConnRef, platform: 'Web' | 'Android' = 'Web') => ({ kind: 'attach', conn, platform, sigTime: 1 }) as const

for (const policy of ['perPlatform', 'single'] as const) {
  t.test(`${policy}: the same connection attached twice kicks nothing; another Web login kicks it`, async (t) => {
    const activation = await setup(t, policy)
    const web: ConnRef = { node: 'n1', thread: 0, conn: 7 }
    const first = activation()
    await first.ask(alice, attach(web))
    await first.ask(alice, attach(web))
    t.same(first.disconnects, [], 'a repeated attach on one activation')

    // The first copy was handled by an activation that is gone; the next one loads the device.
    await first.host.stop()
    const next = activation()
    await next.ask(alice, attach(web))
    t.same(next.disconnects, [], 'a repeated attach on the next activation, the device loaded from the registry')

    const web2: ConnRef = { node: 'n2', thread: 1, conn: 3 }
    await next.ask(alice, attach(web2))
    t.same(next.disconnects, [{ conn: web, code: CloseCodes.KICKED_OTHER_LOGIN }], 'a different Web connection is still kicked')
  })
}
