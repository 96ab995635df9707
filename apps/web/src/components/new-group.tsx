import { useState } from 'preact/hooks';
import { useDisclosure } from '../hooks';
import type { ChatStore } from '../chat-store';
import { groupNameProblem, membersOf } from '../text/group-form';
import { describeGroupError } from '../text/problems';

/**
 * "New group": a name, the members by username, and whether members added later read the whole
 * history. The group opens once the server made it.
 */
export function NewGroup({ chat }: { chat: ChatStore }) {
  const { open, setOpen, toggle, close } = useDisclosure();
  return (
    <section class={open ? 'new-group open' : 'new-group'} aria-label="Groups">
      <button
        type="button"
        ref={toggle}
        class="secondary"
        aria-expanded={open}
        aria-controls="new-group-form"
        onClick={() => setOpen(!open)}
      >
        New group
      </button>
      {open && <NewGroupForm chat={chat} onDone={() => setOpen(false)} onCancel={close} />}
    </section>
  );
}

function NewGroupForm({
  chat,
  onDone,
  onCancel,
}: {
  chat: ChatStore;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState('');
  const [members, setMembers] = useState('');
  const [wholeHistory, setWholeHistory] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  async function submit(event: Event) {
    event.preventDefault();
    const nameProblem = groupNameProblem(name);
    const named = membersOf(members);
    if (nameProblem || 'problem' in named) {
      setProblem(nameProblem ?? ('problem' in named ? named.problem : undefined));
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      await chat.createGroup(name.trim(), named.usernames, wholeHistory ? 'all' : 'joined');
      onDone();
    } catch (err) {
      setProblem(describeGroupError(err));
      setBusy(false);
    }
  }

  return (
    <form
      id="new-group-form"
      class="group-form"
      aria-label="New group"
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <label>
        Group name
        <input
          name="group-name"
          value={name}
          maxLength={64}
          required
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <label>
        Members
        <input
          name="group-members"
          value={members}
          placeholder="usernames, separated by spaces"
          aria-describedby="new-group-members-hint"
          required
          onInput={(e) => setMembers(e.currentTarget.value)}
        />
      </label>
      <small id="new-group-members-hint" class="hint">
        Their usernames, separated by spaces or commas. You are the group's first admin.
      </small>
      <label class="check">
        <input
          type="checkbox"
          checked={wholeHistory}
          onChange={(e) => setWholeHistory(e.currentTarget.checked)}
        />
        New members can read the whole history
      </label>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create group'}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
