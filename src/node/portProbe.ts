/**
 * Whether another process already listens on a port. uWS listens with SO_REUSEPORT (the
 * threads of one node share their port that way), so a second node on the same port would
 * also listen and the kernel would split clients between two servers with different data.
 * A probe bound without SO_REUSEPORT (a Node `net` server, `exclusive`) fails with
 * EADDRINUSE while any listener holds the port, SO_REUSEPORT or not; it is closed before
 * returning, so this node's own threads can then listen. Another process may still take
 * the port between the probe and the listen.
 */
import { createServer } from 'node:net'

/** Resolves when nothing listens on `host:port` right now; rejects with a message naming both otherwise. */
export function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === 'EADDRINUSE'
        ? `port ${port} on ${host} is in use by another process`
        : `cannot listen on ${host}:${port}: ${e.code ?? e.message}`))
    })
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()))
  })
}
