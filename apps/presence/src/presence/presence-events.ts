import type { Topic } from '@parley/common';
import type { TopicEvent } from '@parley/kafka';

export type AccountEventEnvelope = TopicEvent<typeof Topic.AccountEvents>;
export type ConnectionEventEnvelope = TopicEvent<typeof Topic.Connections>;
export type ActivityEventEnvelope = TopicEvent<typeof Topic.Activity>;
export type TypingEventEnvelope = TopicEvent<typeof Topic.Typing>;
