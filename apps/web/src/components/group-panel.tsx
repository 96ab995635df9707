import type { ConversationView as Conversation } from '@parley/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatStore } from '../chat-store';
import { canLeave, isAdmin, isChannel } from '../conversation-roles';
import { adminsText, membersText } from '../text/channels';
import { DisappearingControl } from './disappearing-control';
import { describeGroupError } from '../text/problems';
import {
  AddMembers,
  ChannelMembers,
  type GroupChanges,
  HistorySetting,
  LeaveGroup,
  RenameGroup,
} from './group-forms';

type Member = Conversation['members'][number];

/** One change at a time for the group or channel open in `chat`, and its outcome in words. */
export function useGroupChanges(chat: ChatStore) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const changes: GroupChanges = {
    busy,
    async run(change, done) {
      setBusy(true);
      setOutcome(undefined);
      try {
        await chat.changeGroup(change);
        setOutcome({ ok: true, text: done });
        return true;
      } catch (err) {
        setOutcome({ ok: false, text: describeGroupError(err) });
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
  return { changes, outcome };
}

/**
 * A group's info: its members with their roles, live (they follow the group's events); for
 * admins, adding, removing, promoting and demoting members, renaming, and the history setting;
 * for every member, leaving. Refusals are said in words. A channel's (for its admins): its
 * admins (all a channel lists), members named by username to add, promote or remove, renaming
 * and leaving; a channel has no history setting (everyone reads everything).
 */
export function GroupPanel({
  chat,
  conversation,
  onClose,
}: {
  chat: ChatStore;
  conversation: Conversation;
  onClose: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { changes, outcome } = useGroupChanges(chat);
  const admin = isAdmin(conversation, chat.me.userId);
  const channel = isChannel(conversation);
  useEffect(() => {
    heading.current?.focus();
    // A channel's member count moves without events: the list says it as it is now.
    if (channel) chat.refresh();
  }, []);
  const noun = channel ? 'channel' : 'group';
  const title = conversation.title ?? '';
  return (
    <section
      class="panel"
      aria-labelledby="group-panel-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <div class="panel-header">
        <h3 id="group-panel-title" ref={heading} tabIndex={-1}>
          {channel ? 'Channel info' : 'Group info'}
        </h3>
        <button type="button" class="secondary" onClick={onClose}>
          Back to messages
        </button>
      </div>
      {outcome && (
        <p class={outcome.ok ? 'outcome' : 'error'} role={outcome.ok ? 'status' : 'alert'}>
          {outcome.text}
        </p>
      )}
      {!conversation.active && <p class="ended">You are no longer a member of this {noun}.</p>}
      <MemberList
        members={conversation.members}
        myUserId={chat.me.userId}
        admin={admin}
        changes={changes}
        heading={
          channel
            ? adminsText(conversation.members.length, conversation.memberCount)
            : membersText(conversation.members.length)
        }
        label={channel ? 'Admins' : 'Members'}
      />
      {admin && channel && (
        <>
          <ChannelMembers changes={changes} />
          <RenameGroup changes={changes} title={title} label="Channel name" />
        </>
      )}
      {admin && !channel && (
        <>
          <AddMembers changes={changes} />
          <RenameGroup changes={changes} title={title} />
          <HistorySetting changes={changes} history={conversation.history ?? 'joined'} />
        </>
      )}
      <section class="panel-part" aria-labelledby="group-timer-title">
        <h4 id="group-timer-title">Disappearing messages</h4>
        {conversation.timer == null && !(admin && conversation.active) ? (
          <p>Messages stay.</p>
        ) : (
          <DisappearingControl
            chat={chat}
            conversation={conversation}
            label={`Disappearing messages in this ${noun}`}
          />
        )}
      </section>
      {canLeave(conversation) && (
        <LeaveGroup
          changes={changes}
          title={title}
          noun={noun}
          rejoin={channel && conversation.public}
        />
      )}
    </section>
  );
}

function MemberList({
  members,
  myUserId,
  admin,
  changes,
  heading,
  label,
}: {
  members: Member[];
  myUserId: string;
  admin: boolean;
  changes: GroupChanges;
  heading: string;
  label: string;
}) {
  return (
    <section class="panel-part" aria-labelledby="group-members-title">
      <h4 id="group-members-title">{heading}</h4>
      <ul class="members" aria-label={label}>
        {members.map((m) => (
          <li key={m.id}>
            <span class="who">
              {m.username}
              {m.id === myUserId ? ' (you)' : ''}
            </span>
            <span class="role">{m.role === 'admin' ? 'admin' : 'member'}</span>
            {admin && m.id !== myUserId && <MemberActions member={m} changes={changes} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function MemberActions({ member, changes }: { member: Member; changes: GroupChanges }) {
  const name = member.username;
  const role: { op: 'promote' | 'demote'; label: string; done: string; text: string } =
    member.role === 'admin'
      ? {
          op: 'demote',
          label: `Make ${name} a member`,
          done: `${name} is now a member.`,
          text: 'Make member',
        }
      : {
          op: 'promote',
          label: `Make ${name} an admin`,
          done: `${name} is now an admin.`,
          text: 'Make admin',
        };
  return (
    <span class="member-actions">
      <button
        type="button"
        class="secondary"
        aria-label={role.label}
        disabled={changes.busy}
        onClick={() => void changes.run({ op: role.op, members: [name] }, role.done)}
      >
        {role.text}
      </button>
      <button
        type="button"
        class="secondary danger"
        aria-label={`Remove ${name}`}
        disabled={changes.busy}
        onClick={() => void changes.run({ op: 'remove', members: [name] }, `Removed ${name}.`)}
      >
        Remove
      </button>
    </span>
  );
}
