import type { GroupChangeRequest, HistoryVisibility } from '@parley/protocol';
import { useEffect, useState } from 'preact/hooks';
import { groupNameProblem, membersOf } from '../text/group-form';

/** What the group panel's controls share: one change at a time, and its outcome in words. */
export interface GroupChanges {
  busy: boolean;
  /** Asks for `change`; says `done` once applied, or why it was refused. True when applied. */
  run(change: GroupChangeRequest, done: string): Promise<boolean>;
}

const HISTORY_CHOICES: { value: HistoryVisibility; label: string; done: string }[] = [
  {
    value: 'joined',
    label: 'From when they join',
    done: 'New members now read from when they join.',
  },
  { value: 'all', label: 'The whole history', done: 'New members now read the whole history.' },
];

type MembersOp = 'add' | 'promote' | 'remove';

const MEMBER_BUTTONS: Record<MembersOp, { label: string; class?: string }> = {
  add: { label: 'Add' },
  promote: { label: 'Make admin', class: 'secondary' },
  remove: { label: 'Remove', class: 'secondary danger' },
};

/** What an applied change of `op` says, for the users named. */
function doneText(op: MembersOp, usernames: string[]): string {
  const who = usernames.join(', ');
  if (op === 'add') return `Added ${who}.`;
  if (op === 'remove') return `Removed ${who}.`;
  return `${who} ${usernames.length === 1 ? 'is' : 'are'} now admin.`;
}

/**
 * Members named by username, and what to do with them: the first of `ops` is the form's submit.
 * Admins of a group add members here; a channel's admins also make admin or remove (a channel
 * lists only its admins, so its other members are named here rather than picked from a list).
 */
function MembersByUsername({
  changes,
  label,
  field,
  name,
  ops,
}: {
  changes: GroupChanges;
  /** The form's name. */
  label: string;
  /** The field's label. */
  field: string;
  name: string;
  ops: [MembersOp, ...MembersOp[]];
}) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string>();
  async function run(op: MembersOp) {
    const named = membersOf(text);
    if ('problem' in named) return setProblem(named.problem);
    setProblem(undefined);
    const done = doneText(op, named.usernames);
    if (await changes.run({ op, members: named.usernames }, done)) setText('');
  }
  return (
    <form
      class="panel-part group-form"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void run(ops[0]);
      }}
    >
      <label>
        {field}
        <input
          name={name}
          value={text}
          placeholder="usernames, separated by spaces"
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        {ops.map((op, i) => (
          <button
            key={op}
            type={i === 0 ? 'submit' : 'button'}
            class={MEMBER_BUTTONS[op].class}
            disabled={changes.busy}
            onClick={i === 0 ? undefined : () => void run(op)}
          >
            {MEMBER_BUTTONS[op].label}
          </button>
        ))}
      </div>
    </form>
  );
}

/** Admins: add members by username. */
export function AddMembers({ changes }: { changes: GroupChanges }) {
  return (
    <MembersByUsername
      changes={changes}
      label="Add members"
      field="Add members"
      name="add-members"
      ops={['add']}
    />
  );
}

/** A channel's admins: add, make admin or remove members named by username. */
export function ChannelMembers({ changes }: { changes: GroupChanges }) {
  return (
    <MembersByUsername
      changes={changes}
      label="Channel members"
      field="Members by username"
      name="channel-members"
      ops={['add', 'promote', 'remove']}
    />
  );
}

/** Admins: rename the group (or channel: `label` names the field). */
export function RenameGroup({
  changes,
  title,
  label = 'Group name',
}: {
  changes: GroupChanges;
  title: string;
  label?: string;
}) {
  const [name, setName] = useState(title);
  const [problem, setProblem] = useState<string>();
  // A rename by someone else shows here too.
  useEffect(() => setName(title), [title]);
  async function submit(event: Event) {
    event.preventDefault();
    const wrong = groupNameProblem(name);
    if (wrong) return setProblem(wrong);
    setProblem(undefined);
    await changes.run({ op: 'rename', name: name.trim() }, `Renamed to "${name.trim()}".`);
  }
  return (
    <form class="panel-part group-form" aria-label="Rename" onSubmit={(e) => void submit(e)}>
      <label>
        {label}
        <input
          name="rename"
          value={name}
          maxLength={64}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" disabled={changes.busy || name.trim() === title}>
        Rename
      </button>
    </form>
  );
}

/** Admins: what members added from now on read (the group's `history` setting). */
export function HistorySetting({
  changes,
  history,
}: {
  changes: GroupChanges;
  history: HistoryVisibility;
}) {
  const [chosen, setChosen] = useState(history);
  useEffect(() => setChosen(history), [history]);
  const choice = HISTORY_CHOICES.find((c) => c.value === chosen) ?? HISTORY_CHOICES[0];
  return (
    <form
      class="panel-part group-form"
      aria-label="History"
      onSubmit={(e) => {
        e.preventDefault();
        void changes.run({ op: 'history', history: chosen }, choice.done);
      }}
    >
      <fieldset>
        <legend>New members read</legend>
        {HISTORY_CHOICES.map((c) => (
          <label key={c.value} class="check">
            <input
              type="radio"
              name="history"
              value={c.value}
              checked={chosen === c.value}
              onChange={() => setChosen(c.value)}
            />
            {c.label}
          </label>
        ))}
      </fieldset>
      <button type="submit" disabled={changes.busy || chosen === history}>
        Save
      </button>
    </form>
  );
}

/**
 * Every member: leave (asked twice: only an admin can add one back, but to a public channel,
 * which anyone may join again).
 */
export function LeaveGroup({
  changes,
  title,
  noun = 'group',
  rejoin = false,
}: {
  changes: GroupChanges;
  title: string;
  noun?: 'group' | 'channel';
  rejoin?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <div class="panel-part">
        <button type="button" class="secondary danger" onClick={() => setAsking(true)}>
          Leave {noun}
        </button>
      </div>
    );
  }
  return (
    <div class="panel-part" role="group" aria-label={`Leave the ${noun}`}>
      <p>
        Leave "{title}"?{' '}
        {rejoin ? 'You can join it again from Channels.' : 'Only an admin can add you again.'}
      </p>
      <div class="actions">
        <button
          type="button"
          class="danger"
          disabled={changes.busy}
          onClick={() => void changes.run({ op: 'leave' }, `You left the ${noun}.`)}
        >
          Leave
        </button>
        <button type="button" class="secondary" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}
