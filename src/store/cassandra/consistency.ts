/**
 * Consistency levels of the Cassandra stores, configurable per deployment.
 *
 * | setting  | default        | used for                                                        |
 * |----------|----------------|-----------------------------------------------------------------|
 * | `read`   | `LOCAL_QUORUM` | every plain read (inbox, history, records, accounts)            |
 * | `write`  | `LOCAL_QUORUM` | every plain write and the commit phase of lightweight transactions |
 * | `serial` | `LOCAL_SERIAL` | the Paxos phase of lightweight transactions and head reads      |
 *
 * A commit is acknowledged only after its writes reached `write` replicas. With the defaults,
 * a read at `read` sees every acknowledged write of the same data center (quorums overlap);
 * `serial` = `LOCAL_SERIAL` fences concurrent writers within one data center, `SERIAL` across
 * data centers (at the cost of a cross-DC round trip per commit). `ONE`/`LOCAL_ONE` for reads
 * is allowed but can miss acknowledged writes until repair; see docs/cassandra.md.
 */
import cassandra from 'cassandra-driver'

const { consistencies } = cassandra.types

export const ConsistencyNames = [
  'ANY', 'ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE',
] as const
export type ConsistencyName = (typeof ConsistencyNames)[number]
export const SerialConsistencyNames = ['SERIAL', 'LOCAL_SERIAL'] as const
export type SerialConsistencyName = (typeof SerialConsistencyNames)[number]

export interface ConsistencySettings {
  read: ConsistencyName
  write: ConsistencyName
  serial: SerialConsistencyName
}

export const DEFAULT_CONSISTENCY: Readonly<ConsistencySettings> = {
  read: 'LOCAL_QUORUM',
  write: 'LOCAL_QUORUM',
  serial: 'LOCAL_SERIAL',
}

/** The settings as driver values (`types.consistencies`). */
export interface Consistencies {
  readonly read: number
  readonly write: number
  readonly serial: number
}

const driverValue: Record<ConsistencyName | SerialConsistencyName, number> = {
  ANY: consistencies.any,
  ONE: consistencies.one,
  TWO: consistencies.two,
  THREE: consistencies.three,
  QUORUM: consistencies.quorum,
  ALL: consistencies.all,
  LOCAL_QUORUM: consistencies.localQuorum,
  EACH_QUORUM: consistencies.eachQuorum,
  LOCAL_ONE: consistencies.localOne,
  SERIAL: consistencies.serial,
  LOCAL_SERIAL: consistencies.localSerial,
}

/** Fills defaults and checks each name; a wrong name throws, naming the field. */
export function resolveConsistency(partial: Partial<ConsistencySettings> = {}): Consistencies {
  const s = { ...DEFAULT_CONSISTENCY, ...partial }
  const check = (field: string, value: string, allowed: readonly string[]): number => {
    if (!allowed.includes(value)) throw new RangeError(`consistency.${field} must be one of ${allowed.join(', ')}; got ${value}`)
    return driverValue[value as ConsistencyName | SerialConsistencyName]
  }
  return {
    read: check('read', s.read, ConsistencyNames.filter((n) => n !== 'ANY')),
    write: check('write', s.write, ConsistencyNames),
    serial: check('serial', s.serial, SerialConsistencyNames),
  }
}
