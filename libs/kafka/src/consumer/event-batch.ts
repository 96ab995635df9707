import { BaseRpcContext } from '@nestjs/microservices';
import { EnvelopeOf, TopicContract, TopicName } from '@parley/common';

/**
 * What a consumer handler receives: every valid event of one partition batch, in offset order.
 * The handler resolves only once its work is durable; the transport commits after that.
 */
export interface EventBatch<E> {
  readonly topic: TopicName;
  readonly partition: number;
  readonly events: readonly E[];
  /** Keeps the group membership alive during long work; call it between steps. */
  heartbeat(): Promise<void>;
}

/** The validated envelope union a topic carries, e.g. `TopicEvent<typeof Topic.AccountEvents>`. */
export type TopicEvent<T extends TopicName> = EnvelopeOf<TopicContract<T>>;

/** `@Ctx()` of a Kafka batch handler: [topic, partition, consumer group]. */
export class KafkaBatchContext extends BaseRpcContext<[TopicName, number, string]> {
  get topic(): TopicName {
    return this.args[0];
  }
  get partition(): number {
    return this.args[1];
  }
  get group(): string {
    return this.args[2];
  }
}
