/**
 * The ShardLog + ConvIndex conformance suite (shardLogConformance.ts) on a real LMDB
 * environment: LmdbShardLog and LmdbConvIndex on one handle in a fresh directory per case.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { LmdbConvIndex } from '../../src/store/lmdb/LmdbConvIndex.js'
import { LmdbShardLog } from '../../src/store/lmdb/LmdbShardLog.js'
import { openLmdb } from '../../src/store/lmdb/openLmdb.js'
import { shardLogConformance } from './shardLogConformance.js'

shardLogConformance(t, 'lmdb', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-shardlog-'))
  const handle = openLmdb(dir)
  t.teardown(async () => {
    await handle.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { log: new LmdbShardLog(handle), index: new LmdbConvIndex(handle), where: dir }
})
