import { useState } from 'preact/hooks';
import { useDisclosure } from '../hooks';
import type { ChannelListing, ChannelSearch, ChatStore } from '../chat-store';
import { membersText } from '../text/channels';
import { groupNameProblem } from '../text/group-form';
import { describeGroupError } from '../text/problems';
import { ChannelMark } from './conversation-list';

/**
 * "Channels": the public channels, found by a part of their name (the most members first, all of
 * them before anything is typed), each with its member count and Join, or Open once joined; and
 * "New channel". A joined channel opens once the conversation list has it.
 */
export function ChannelBrowser({ chat, search }: { chat: ChatStore; search?: ChannelSearch }) {
  const { open, setOpen, toggle, close } = useDisclosure();
  function show(next: boolean) {
    setOpen(next);
    if (next) void chat.searchChannels(search?.query ?? '');
  }
  return (
    <section class={open ? 'channels open' : 'channels'} aria-label="Channels">
      <button
        type="button"
        ref={toggle}
        class="secondary"
        aria-expanded={open}
        aria-controls="channel-browser"
        onClick={() => show(!open)}
      >
        Channels
      </button>
      {open && (
        <div
          id="channel-browser"
          class="channel-browser"
          onKeyDown={(e) => {
            if (e.key === 'Escape') close();
          }}
        >
          <NewChannel chat={chat} onDone={() => setOpen(false)} />
          <ChannelSearchForm chat={chat} query={search?.query ?? ''} />
          {search && <ChannelResults chat={chat} search={search} onOpened={() => setOpen(false)} />}
        </div>
      )}
    </section>
  );
}

function ChannelSearchForm({ chat, query: asked }: { chat: ChatStore; query: string }) {
  const [query, setQuery] = useState(asked);
  return (
    <form
      role="search"
      aria-label="Channel search"
      class="channel-search"
      onSubmit={(e) => {
        e.preventDefault();
        void chat.searchChannels(query);
      }}
    >
      <label>
        Find channels
        <input
          name="channels"
          value={query}
          maxLength={64}
          placeholder="part of a name"
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </label>
      <button type="submit">Find</button>
    </form>
  );
}

function ChannelResults({
  chat,
  search,
  onOpened,
}: {
  chat: ChatStore;
  search: ChannelSearch;
  onOpened: () => void;
}) {
  const [busy, setBusy] = useState<string>();
  const [said, setSaid] = useState<{ ok: boolean; text: string }>();

  async function join(channel: ChannelListing) {
    setBusy(channel.id);
    setSaid(undefined);
    try {
      if (await chat.joinChannel(channel.id)) onOpened();
      else
        setSaid({
          ok: true,
          text: `Joined ${channel.name}: it shows in your list once posted to.`,
        });
    } catch (err) {
      setSaid({ ok: false, text: describeGroupError(err) });
    } finally {
      setBusy(undefined);
    }
  }

  function openJoined(channel: ChannelListing) {
    setSaid(undefined);
    if (chat.openChannel(channel.id)) onOpened();
    else setSaid({ ok: true, text: `Nothing was posted to ${channel.name} yet.` });
  }

  const results = search.results;
  return (
    <>
      {search.searching && (
        <p class="hint" role="status">
          Searching…
        </p>
      )}
      {search.problem && (
        <p class="error" role="alert">
          {search.problem}
        </p>
      )}
      {said && (
        <p class={said.ok ? 'hint' : 'error'} role={said.ok ? 'status' : 'alert'}>
          {said.text}
        </p>
      )}
      {results && (
        <ul class="channel-results" aria-label="Public channels">
          {results.length === 0 && (
            <li class="empty">
              {search.query ? 'No public channel by that name.' : 'No public channels yet.'}
            </li>
          )}
          {results.map((c) => (
            <li key={c.id}>
              <span class="title">
                <ChannelMark />
                {c.name}
              </span>
              <span class="preview">
                {membersText(c.memberCount)}
                {c.joined ? ', joined' : ''}
              </span>
              {c.joined ? (
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Open ${c.name}`}
                  onClick={() => openJoined(c)}
                >
                  Open
                </button>
              ) : (
                <button
                  type="button"
                  aria-label={`Join ${c.name}`}
                  disabled={busy !== undefined}
                  onClick={() => void join(c)}
                >
                  {busy === c.id ? 'Joining…' : 'Join'}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/**
 * "New channel": a name, and whether it is public (listed here, anyone may join) or private
 * (only its admins add members). Its creator is its admin; it opens once the server made it.
 */
function NewChannel({ chat, onDone }: { chat: ChatStore; onDone: () => void }) {
  const { open, setOpen, toggle, close } = useDisclosure();
  return (
    <div class="new-channel">
      <button
        type="button"
        ref={toggle}
        class="secondary"
        aria-expanded={open}
        aria-controls="new-channel-form"
        onClick={() => setOpen(!open)}
      >
        New channel
      </button>
      {open && <NewChannelForm chat={chat} onDone={onDone} onCancel={close} />}
    </div>
  );
}

function NewChannelForm({
  chat,
  onDone,
  onCancel,
}: {
  chat: ChatStore;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState('');
  const [isPublic, setPublic] = useState(true);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  async function submit(event: Event) {
    event.preventDefault();
    const wrong = groupNameProblem(name);
    if (wrong) return setProblem(wrong);
    setBusy(true);
    setProblem(undefined);
    try {
      await chat.createChannel(name.trim(), isPublic);
      onDone();
    } catch (err) {
      setProblem(describeGroupError(err));
      setBusy(false);
    }
  }

  return (
    <form
      id="new-channel-form"
      class="group-form"
      aria-label="New channel"
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <label>
        Channel name
        <input
          name="channel-name"
          value={name}
          maxLength={64}
          required
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={isPublic}
          aria-describedby="new-channel-hint"
          onChange={(e) => setPublic(e.currentTarget.checked)}
        />
        Public: anyone can find and join it
      </label>
      <small id="new-channel-hint" class="hint">
        You are its admin: only admins post, members read.
        {isPublic ? '' : ' Only admins add members to a private channel.'}
      </small>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create channel'}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
