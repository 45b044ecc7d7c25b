/**
 * The uWS topic of a group's live traffic: the group actor's canonical id string, so a
 * thread that counts the topic's subscribers knows which actor to tell (see
 * src/edge/gateway/TopicTable.ts). Members' logged-in sockets subscribe to it; the group
 * publishes each event once per thread that has subscribers.
 */
import { actorIdString } from './runtime/ActorId.js'
import { groupActor } from './group/protocol.js'

export function groupTopic(app: number, groupId: string): string {
  return actorIdString(groupActor(app, groupId))
}
