/**
 * Every Kafka topic and consumer group, in one place. Topic names are versioned and dotted
 * (`parley.<domain>.<what>.<version>`); the broker's auto-create is off, so `TOPIC_SPECS` is what
 * `tools/kafka/create-topics` creates and what docs/ARCHITECTURE.md describes.
 */
export const Topic = {
  AccountEvents: 'parley.account.events.v1',
  DeadLetter: 'parley.dead-letter.v1',
  GatewayHeartbeats: 'parley.gateway.heartbeats.v1',
  Connections: 'parley.connections.v1',
  MessagesAccepted: 'parley.messages.accepted.v1',
  Cursors: 'parley.cursors.v1',
  Activity: 'parley.activity.v1',
  Typing: 'parley.typing.v1',
  Images: 'parley.images.v1',
} as const;
export type TopicName = (typeof Topic)[keyof typeof Topic];

export const ConsumerGroup = {
  Session: 'parley.session',
  Presence: 'parley.presence',
  Storage: 'parley.storage',
  /** Storage's image processing: its own group, so a slow image never holds a message batch back. */
  StorageImages: 'parley.storage.images',
} as const;
export type ConsumerGroupName = (typeof ConsumerGroup)[keyof typeof ConsumerGroup];

export interface TopicSpec {
  name: TopicName;
  partitions: number;
  /** What the record key is: the unit of ordering. Never null. */
  key: string;
  /** Events keyed otherwise than `key` (by event type): what their key is, and why. */
  keyByEvent?: Record<string, string>;
  producers: string[];
  consumerGroups: ConsumerGroupName[];
  meaning: string;
  retentionMs?: number;
}

/** The topics `group` consumes, as TOPIC_SPECS says (a service with two groups splits its handlers by it). */
export function topicsOfGroup(group: ConsumerGroupName): TopicName[] {
  return TOPIC_SPECS.filter((t) => t.consumerGroups.includes(group)).map((t) => t.name);
}

export const TOPIC_SPECS: readonly TopicSpec[] = [
  {
    name: Topic.AccountEvents,
    partitions: 6,
    key: 'userId',
    producers: ['gateway'],
    consumerGroups: [ConsumerGroup.Presence, ConsumerGroup.Storage],
    meaning:
      'Something happened to an account: registered, logged in, logged out (account.*.v1 events).',
  },
  {
    name: Topic.DeadLetter,
    partitions: 3,
    key: 'the original record key (or "null")',
    producers: ['any consumer (libs/kafka)'],
    consumerGroups: [],
    meaning:
      'A record a consumer could not process (invalid envelope/payload or a poison handler error): reason + original bytes.',
    retentionMs: 14 * 24 * 3600 * 1000,
  },
  {
    name: Topic.GatewayHeartbeats,
    partitions: 1,
    key: 'gatewayId',
    producers: ['gateway'],
    consumerGroups: [ConsumerGroup.Session],
    meaning:
      'A gateway is up-and-running: its id, public WebSocket URL and connection count (gateway.heartbeat.v1, every few seconds).',
    retentionMs: 3600 * 1000,
  },
  {
    name: Topic.Connections,
    partitions: 6,
    key: 'userId',
    producers: ['gateway'],
    consumerGroups: [ConsumerGroup.Session, ConsumerGroup.Presence],
    meaning:
      "A device's WebSocket opened or closed on a gateway, or its device moved to the foreground or background (connection.opened / connection.closed / connection.state-changed v1).",
  },
  {
    name: Topic.MessagesAccepted,
    partitions: 12,
    key: 'conversationId',
    producers: ['gateway'],
    consumerGroups: [ConsumerGroup.Storage],
    meaning:
      'A send accepted by a gateway, not yet stored (message.accepted v1). Kafka is the durable spool while PostgreSQL is down.',
  },
  {
    name: Topic.Cursors,
    partitions: 6,
    key: 'conversationId',
    keyByEvent: {
      'cursors.moved':
        '`<gatewayId>:<n>`, n rotating over the partitions: the moves of many conversations share a record, and cursors only rise, so these records need no order',
    },
    producers: ['gateway'],
    consumerGroups: [ConsumerGroup.Storage],
    meaning:
      'Devices delivered or members read conversations up to a seq: cursors.moved v1, the moves a gateway gathered over CURSOR_FLUSH_MS (each cursor once, at its highest seq); cursor.delivered / cursor.read v1 (one move each) are still read.',
  },
  {
    name: Topic.Activity,
    partitions: 6,
    key: '`<gatewayId>:<n>`, n rotating over the partitions',
    keyByEvent: {
      'users.active':
        '`<gatewayId>:<n>`: one record carries many users, and last seen only moves forward, so records need no order',
    },
    producers: [
      'gateway (every ACTIVITY_FLUSH_MS, 250 ms: each user at most once per PRESENCE_ACTIVITY_COALESCE_MS)',
    ],
    consumerGroups: [ConsumerGroup.Presence],
    meaning:
      'Users did something (sent, read, typed, opened a conversation): their last seen moves (users.active v1, up to 1,000 users a record).',
    retentionMs: 3600 * 1000,
  },
  {
    name: Topic.Typing,
    partitions: 6,
    key: 'conversationId',
    producers: ['gateway (at most one per socket and conversation per TYPING_MIN_INTERVAL_MS)'],
    consumerGroups: [ConsumerGroup.Presence],
    meaning:
      "A member is typing in a conversation (typing.started v1): presence pushes it to the other members' sockets, or drops it if late. Never stored.",
    retentionMs: 3600 * 1000,
  },
  {
    name: Topic.Images,
    partitions: 3,
    key: 'imageId',
    producers: ['gateway (one per accepted upload)'],
    consumerGroups: [ConsumerGroup.StorageImages],
    meaning:
      'An uploaded image, staged in the blob store (image.uploaded v1): storage processes it (orientation, metadata stripped, display and thumbnail sizes, placeholder) and answers the waiting gateway over Redis.',
    retentionMs: 24 * 3600 * 1000,
  },
];
