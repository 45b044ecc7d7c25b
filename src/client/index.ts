/**
 * The Parley client SDK, package `parley-im-client` (README.md beside this file), for browsers
 * and Node (≥ 20, with an injected WebSocket class). Imports nothing from the server but types.
 */
export { ParleyClient } from './ParleyClient.js'
export { ParleyGuest, type GuestState, type ParleyGuestEvents, type ParleyGuestOptions, type RoomLostEvent } from './ParleyGuest.js'
export type {
  ConnectionState, ConversationEvent, CursorStore, GroupMessageEvent, GroupRecallEvent, KickedEvent, NewMessageEvent, ParleyClientEvents,
  ParleyClientOptions, PeerReadEvent, ReadEvent, RecallEvent, SendOptions, SentMessage, StateEvent, StoredShardCursor,
} from './types.js'
export { ClientErrorCodes, ParleyClientError, isRetryableCode, type ClientErrorCode } from './errors.js'
export * as elements from './elements.js'
export {
  element, isElement, plainText, type ElementContents, type TypedElement, type CustomContent,
  type FaceContent, type FileContent, type ImageContent, type ImageInfo, type LocationContent,
  type RelayContent, type RelayedMessage, type SoundContent, type TextContent, type VideoContent,
} from './elements.js'
export { InboxTracker, type InboxTrackerOptions, type SyncStep, type TrackerPhase, type TrackerStep } from './InboxTracker.js'
export {
  ShardedInbox, type LoginStep, type ShardCursor, type ShardedEvent, type ShardedInboxOptions, type ShardStep, type ShardSyncStep,
} from './ShardedInbox.js'
export {
  GroupTracker, type GroupHistoryPage, type GroupQuery, type GroupStep, type GroupTrackerOptions,
} from './groups.js'
export type {
  CreateGroupOptions, GroupChanges, GroupHistoryResult, GroupInfo, GroupInviteResult, GroupMember, GroupMemberChanges,
  GroupMembersPage, GroupProfileFields, GroupReadState, GroupSendOptions, GroupSentMessage, GroupTypeName, GroupUnread,
} from './groupChannel.js'
export type { GroupMessage, GroupProfile, GroupType, MemberProfile } from '../model/group.js'
export type { GroupJoinRequest, JoinedGroup } from '../protocol/groupViews.js'
export { BoundedKeySet } from './KeySet.js'
export { backoffDelay, classifyClose, DefaultBackoff, reconnectDelay, type BackoffOptions, type CloseKind } from './reconnect.js'
export { Emitter, type Listener } from './Emitter.js'
export type { Encoding, WebSocketConstructor, WebSocketLike } from './transport.js'
export type { ConvId, GroupEvent, InboxEvent } from '../protocol/events.js'
export type { ConversationView, ConvsResult, HistoryResult } from '../protocol/frames.js'
export type { LoginResult, SendResult, SyncFrame, SyncResult } from './wire.js'
export type { Platform } from '../model/platform.js'
export type { ElementType, MsgElement, StoredMessage } from '../model/message.js'
