/**
 * The result of the room cluster benchmark (bench/roomCluster.ts): one setup's figures, and
 * the targets judged from the single-node and the cluster setups of the same run.
 */
import { round } from './report.js'
import type { RoomProfiles } from './roomClusterProfile.js'
import type { OpenSummary, RoomPhaseResult, RoomRound } from './roomPhases.js'

export interface MemoryReport {
  /** Resident set of each Parley process with every member online, MiB (no GC first). */
  serverRssMiB: number[]
  /** Resident sets of the load processes (members and publisher), summed, MiB. */
  loadRssMiB: number
}

export interface SetupRun extends RoomRound {
  members: number
  clientProcs: number
  /** Members logging in, joining and leaving (before anyone stays online), then logging in again. */
  join: OpenSummary
  login: OpenSummary
  memory: MemoryReport
  /** With `--profile`: worker-thread CPU profiles summed over the setup's Parley processes. */
  profile?: RoomProfiles
}

/** At least this share of the single node's deliveries/s per cluster node. */
export const TARGET_PER_NODE_EFFICIENCY = 0.7

/**
 * Per-node efficiency = (cluster deliveries/s ÷ nodes) ÷ single-node deliveries/s, both at
 * saturation. Both setups share one machine's cores (servers and load alike), so the result
 * also gives deliveries per Parley core (services apart), which that sharing does not bias.
 */
export function roomClusterTargets(nodes: number, single: SetupRun, cluster: SetupRun): Record<string, unknown> {
  const s = single.saturation
  const c = cluster.saturation
  const efficiency = c.deliveriesPerSec / nodes / Math.max(1, s.deliveriesPerSec)
  const perCore = (r: RoomPhaseResult) => round(r.deliveriesPerSec / Math.max(0.01, r.cpu.serverCores), 0)
  const fixed = (r: RoomPhaseResult) => ({
    offeredPerSec: r.offeredPerSec, deliveriesPerSec: r.deliveriesPerSec, p50: r.latencyMs.p50, p99: r.latencyMs.p99,
    latencyCoverage: r.latencyCoverage, dropped: r.dropped, refused: r.sent - r.accepted, cpu: r.cpu,
  })
  return {
    perNodeEfficiency: {
      target: TARGET_PER_NODE_EFFICIENCY, nodes,
      singleDeliveriesPerSec: s.deliveriesPerSec, clusterDeliveriesPerSec: c.deliveriesPerSec,
      clusterPerNode: round(c.deliveriesPerSec / nodes, 0), efficiency: round(efficiency, 2), met: efficiency >= TARGET_PER_NODE_EFFICIENCY,
    },
    deliveriesPerParleyCore: {
      single: perCore(s), cluster: perCore(c), ratio: round(perCore(c) / Math.max(1, perCore(s)), 2),
      coresAtSaturation: { single: s.cpu, cluster: c.cpu },
    },
    fixedRate: { single: fixed(single.fixed), cluster: fixed(cluster.fixed) },
  }
}
