import type { ConversationView as Conversation } from '@parley/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatStore } from '../chat-store';
import { describeGroupError } from '../text/problems';
import {
  AddMembers,
  type GroupChanges,
  HistorySetting,
  LeaveGroup,
  RenameGroup,
} from './group-forms';

type Member = Conversation['members'][number];

function useGroupChanges(chat: ChatStore) {
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
 * for every member, leaving. Refusals are said in words.
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
  useEffect(() => heading.current?.focus(), []);
  const me = conversation.members.find((m) => m.id === chat.me.userId);
  const admin = conversation.active && me?.role === 'admin';
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
          Group info
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
      {!conversation.active && <p class="ended">You are no longer a member of this group.</p>}
      <MemberList
        members={conversation.members}
        myUserId={chat.me.userId}
        admin={admin}
        changes={changes}
      />
      {admin && (
        <>
          <AddMembers changes={changes} />
          <RenameGroup changes={changes} title={conversation.title ?? ''} />
          <HistorySetting changes={changes} history={conversation.history ?? 'joined'} />
        </>
      )}
      {conversation.active && <LeaveGroup changes={changes} title={conversation.title ?? ''} />}
    </section>
  );
}

function MemberList({
  members,
  myUserId,
  admin,
  changes,
}: {
  members: Member[];
  myUserId: string;
  admin: boolean;
  changes: GroupChanges;
}) {
  return (
    <section class="panel-part" aria-labelledby="group-members-title">
      <h4 id="group-members-title">
        {members.length === 1 ? '1 member' : `${members.length} members`}
      </h4>
      <ul class="members" aria-label="Members">
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
