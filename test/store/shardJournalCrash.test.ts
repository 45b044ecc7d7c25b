/**
 * The shard journal under kill -9 on LMDB (journalCrashSuite.ts): a child appends and
 * checkpoints into one data directory and is killed while appending, checkpointing, with a
 * 20,000-record unindexed log and during its replay; nothing acknowledged is lost or repeated.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { LmdbConvIndex } from '../../src/store/lmdb/LmdbConvIndex.js'
import { LmdbShardLog } from '../../src/store/lmdb/LmdbShardLog.js'
import { openLmdb } from '../../src/store/lmdb/openLmdb.js'
import { journalCrashSuite } from './journalCrashSuite.js'

t.test('shard journal: kill -9 while appending, checkpointing and replaying loses and repeats nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-journal-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await journalCrashSuite(t, {
    spawn,
    where: dir,
    fullLog: 20_000,
    open: async (t) => {
      const handle = openLmdb(dir)
      t.teardown(() => handle.close())
      return { log: new LmdbShardLog(handle), index: new LmdbConvIndex(handle) }
    },
  })
})
