import { EventContract } from './envelope';
import { ACCOUNT_EVENTS } from './events/account.events';
import { DeadLetterV1 } from './events/dead-letter.events';
import { GatewayHeartbeatV1 } from './events/gateway.events';
import { CONNECTION_EVENTS } from './events/connection.events';
import { CURSOR_EVENTS } from './events/cursor.events';
import { IMAGE_EVENTS } from './events/image.events';
import { GroupChangeAcceptedV1, MessageAcceptedV1 } from './events/message.events';
import { TypingStartedV1, UsersActiveV1 } from './events/presence.events';
import { Topic, TopicName } from './topics';

/**
 * Which events each topic carries. Producers may only publish these (libs/kafka checks), and a
 * consumer decodes a topic against exactly this list: anything else is dead-lettered.
 */
export const TOPIC_CONTRACTS = {
  [Topic.AccountEvents]: ACCOUNT_EVENTS,
  [Topic.DeadLetter]: [DeadLetterV1],
  [Topic.GatewayHeartbeats]: [GatewayHeartbeatV1],
  [Topic.Connections]: CONNECTION_EVENTS,
  [Topic.MessagesAccepted]: [MessageAcceptedV1, GroupChangeAcceptedV1],
  [Topic.Cursors]: CURSOR_EVENTS,
  [Topic.Activity]: [UsersActiveV1],
  [Topic.Typing]: [TypingStartedV1],
  [Topic.Images]: IMAGE_EVENTS,
} as const satisfies Record<TopicName, readonly EventContract<string, unknown>[]>;

/** The contracts topic `T` carries, as a union. */
export type TopicContract<T extends TopicName> = (typeof TOPIC_CONTRACTS)[T][number];

export function isTopicName(value: string): value is TopicName {
  return Object.prototype.hasOwnProperty.call(TOPIC_CONTRACTS, value);
}
