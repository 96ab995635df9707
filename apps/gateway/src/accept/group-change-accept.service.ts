import { Injectable, Optional } from '@nestjs/common';
import type { GroupChange } from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import type { EventUser, GroupFrame } from '@parley/protocol';
import { newConversationId } from '../conversations/conversation-id';
import { ConversationsService } from '../conversations/conversations.service';
import { MessagingException } from '../errors/messaging.exception';
import { SendRateLimiter } from '../throttling/send-rate.limiter';
import { UserDirectoryRepository } from '../users/user-directory.repository';
import { type SocketActor, type SubmittedSend, submitTracked } from './message-accept.service';
import { MessageAcceptedPublisher } from './message-accepted.publisher';
import { PendingAcks } from './pending-acks';

/**
 * The accept step for a `group` frame: the sender's budget (a change costs a send), the named
 * usernames resolved to users (one query), membership for a change of an existing group or
 * channel (not for joining one), then
 * `group.change-accepted` on the conversation's key. Whether the sender may make the change (an
 * admin? still a member?) is storage's decision, in the conversation's order: the answer is the
 * `ack` of the event message, or an `error` from storage.
 */
@Injectable()
export class GroupChangeAcceptService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly users: UserDirectoryRepository,
    private readonly events: MessageAcceptedPublisher,
    private readonly unacked: PendingAcks,
    private readonly rateLimiter: SendRateLimiter,
    @Optional() private readonly publisher?: Pick<EventPublisher, 'saturated'>,
  ) {}

  async submit(actor: SocketActor, frame: GroupFrame): Promise<SubmittedSend> {
    const budget = await this.rateLimiter.admit(actor.connectionId, actor.userId);
    if (!budget.allowed) throw MessagingException.rateLimited(budget.retryAfterMs);
    const change = await this.resolve(frame.change);
    let conversationId: string;
    if (frame.conversationId !== undefined) {
      // Anyone may ask to join a public channel: storage decides whether it is one.
      if (change.op !== 'join') {
        await this.conversations.requireMember(frame.conversationId, actor.userId);
      }
      conversationId = frame.conversationId;
    } else {
      conversationId = newConversationId([actor.userId]);
    }
    if (this.publisher?.saturated) throw MessagingException.overloaded('Server overloaded');

    return submitTracked(this.unacked, actor, frame.clientMsgId, conversationId, (common) =>
      this.events.groupChange({ ...common, change }, actor.connectionId),
    );
  }

  /** The change with its usernames resolved (`not_found` naming the first unknown one). */
  private async resolve(request: GroupFrame['change']): Promise<GroupChange> {
    if (!('members' in request)) return request;
    const found = await this.users.findByUsernames(request.members);
    const members: EventUser[] = request.members.map((name) => {
      const user = found.get(name.toLowerCase());
      if (!user) throw MessagingException.unknownUser(`change.members (${name})`);
      return { id: user.id, username: user.username };
    });
    return { ...request, members };
  }
}
