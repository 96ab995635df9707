import type { UserSummary } from '@parley/protocol';
import { useState } from 'preact/hooks';
import type { ChatStore } from '../chat-store';
import { describeError } from '../session';

/** Find people by username and start a chat. */
export function PeopleSearch({ chat, results }: { chat: ChatStore; results?: UserSummary[] }) {
  const [query, setQuery] = useState('');
  const [problem, setProblem] = useState<string>();
  return (
    <section class="search" aria-label="People search">
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void chat.search(query);
        }}
      >
        <label>
          Find people
          <input
            name="people"
            value={query}
            placeholder="username"
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Search</button>
      </form>
      {results && (
        <ul class="results" aria-label="People found">
          {results.length === 0 && <li class="empty">Nobody by that name.</li>}
          {results.map((user) => (
            <li key={user.id}>
              <button
                type="button"
                onClick={() => {
                  setProblem(undefined);
                  chat
                    .startChatWith(user.username)
                    .catch((err: unknown) => setProblem(describeError(err)));
                }}
              >
                <span class="title">{user.username}</span>{' '}
                <span class="preview">{user.realName}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
