import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, Topic } from '@parley/common';
import type { TopicEvent } from '@parley/kafka';
import { ANNOUNCEMENTS_CHANNEL_ID } from '@parley/protocol';
import type { StorageConfig } from '../config/storage.config';
import { DeliveryPublisher } from '../fanout/delivery.publisher';
import { AnnouncementsRepository } from './announcements.repository';

export type AccountEventEnvelope = TopicEvent<typeof Topic.AccountEvents>;

/**
 * The server's announcements channel: every user is a member from registration (the gateway's
 * `account.registered`, consumed here), and its admins (who post) are the operators named by
 * ANNOUNCEMENTS_ADMINS, applied at every start. Gateways are told of both like any channel's
 * membership change, so a new user's sockets subscribe at once.
 */
@Injectable()
export class AnnouncementsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AnnouncementsService.name);

  constructor(
    private readonly announcements: AnnouncementsRepository,
    private readonly deliveries: DeliveryPublisher,
    @Inject(APP_CONFIG) private readonly config: Pick<StorageConfig, 'ANNOUNCEMENTS_ADMINS'>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const changed = await this.announcements.setAdmins(this.config.ANNOUNCEMENTS_ADMINS);
    await this.tell([], changed);
    this.logger.log(
      { admins: this.config.ANNOUNCEMENTS_ADMINS.length, changed: changed.length },
      'announcements channel admins applied',
    );
  }

  /** Adds the newly registered users; other account events are not this step's. */
  async onAccountEvents(events: readonly AccountEventEnvelope[]): Promise<number> {
    const users = events.flatMap((e) => (e.type === 'account.registered' ? [e.payload] : []));
    const added = await this.announcements.addMembers(users, this.config.ANNOUNCEMENTS_ADMINS);
    await this.tell(added, []);
    return added.length;
  }

  private async tell(joined: string[], roles: string[]): Promise<void> {
    if (joined.length === 0 && roles.length === 0) return;
    await this.deliveries.publish(new Map(), [], {
      channelChanges: [{ conversationId: ANNOUNCEMENTS_CHANNEL_ID, joined, left: [], roles }],
    });
  }
}
