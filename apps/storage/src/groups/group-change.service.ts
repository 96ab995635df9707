import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@parley/common';
import type { StorageConfig } from '../config/storage.config';
import type { GroupChangeEnvelope, PersistOutcome } from '../messages/message-persist.plan';
import { GroupChangesRepository } from './group-changes.repository';

/**
 * The group-change step, between the conversation's messages (the persist step hands it each
 * `group.change-accepted` in offset order): one transaction decides and applies the change under
 * the conversation's row lock; the outcome is the event message (fanned out to the members before
 * and after the change, and acked to its origin like a send) or a refusal for its origin.
 */
@Injectable()
export class GroupChangeService {
  constructor(
    private readonly changes: GroupChangesRepository,
    @Inject(APP_CONFIG)
    private readonly config: Pick<StorageConfig, 'GROUP_MAX_MEMBERS' | 'DISAPPEARING_TIMERS_S'>,
  ) {}

  async apply(event: GroupChangeEnvelope): Promise<PersistOutcome> {
    const { payload } = event;
    const outcome = await this.changes.apply({
      conversationId: payload.conversationId,
      actor: { id: payload.senderId, username: payload.senderUsername },
      clientMsgId: payload.clientMsgId,
      change: payload.change,
      maxMembers: this.config.GROUP_MAX_MEMBERS,
      timers: this.config.DISAPPEARING_TIMERS_S,
    });
    if ('refused' in outcome) {
      return {
        conversationId: payload.conversationId,
        clientMsgId: payload.clientMsgId,
        origin: payload.origin,
        refusal: outcome.refused,
      };
    }
    if ('noted' in outcome) {
      const { noted } = outcome;
      return {
        conversationId: payload.conversationId,
        clientMsgId: payload.clientMsgId,
        origin: payload.origin,
        seq: noted.seq,
        serverTime: noted.serverTime.toISOString(),
        acceptedAt: payload.acceptedAt,
        noted: {
          conversationId: payload.conversationId,
          joined: noted.joined,
          left: noted.left,
          roles: [],
        },
      };
    }
    const { stored } = outcome;
    return {
      conversationId: payload.conversationId,
      seq: stored.seq,
      senderId: payload.senderId,
      senderUsername: payload.senderUsername,
      clientMsgId: payload.clientMsgId,
      text: stored.text,
      serverTime: stored.serverTime.toISOString(),
      event: stored.event,
      memberIds: stored.recipientIds,
      origin: payload.origin,
      duplicate: !stored.applied,
      acceptedAt: payload.acceptedAt,
      // A channel's membership is never cached whole: its gateways update the users named.
      membersChanged: !stored.channel,
      ...(stored.channel
        ? {
            channel: true,
            channelChanges: {
              conversationId: payload.conversationId,
              joined: payload.change.op === 'create-channel' ? [payload.senderId] : [],
              left: [],
              roles: stored.channelUserIds,
            },
          }
        : {}),
    };
  }
}
