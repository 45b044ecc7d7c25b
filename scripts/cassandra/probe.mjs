// Readiness probe for cassandra.sh: connects with the project's cassandra-driver to
// 127.0.0.1:<port> and runs a real query. Prints the release version and exits 0 when the
// node answers; exits 1 (message on stderr) otherwise. Usage: node probe.mjs <port>
import cassandra from 'cassandra-driver'

const port = Number(process.argv[2] ?? 9042)
const client = new cassandra.Client({
  contactPoints: [`127.0.0.1:${port}`],
  localDataCenter: 'datacenter1',
  socketOptions: { connectTimeout: 3000, readTimeout: 5000 },
  pooling: { warmup: false },
})
try {
  const rs = await client.execute('SELECT release_version FROM system.local')
  console.log(rs.first().release_version)
  process.exitCode = 0
} catch (err) {
  console.error(`probe: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
} finally {
  await client.shutdown().catch(() => {})
}
