import { AuthScreen } from './components/auth-screen';
import { ChatScreen } from './components/chat-screen';
import { useLayoutEffect } from 'preact/hooks';
import { useSubscription } from './hooks';
import type { WebSession } from './session';

export const INTERACTIVE_MARK = 'parley:interactive';

export function App({ session }: { session: WebSession }) {
  const phase = useSubscription(session, () => session.current);
  // The first usable screen in the DOM, handlers attached: the web benchmark reads this mark.
  useLayoutEffect(() => {
    if (phase.kind !== 'starting' && performance.getEntriesByName(INTERACTIVE_MARK).length === 0)
      performance.mark(INTERACTIVE_MARK);
  }, [phase.kind]);
  switch (phase.kind) {
    case 'starting':
      return <p class="loading">Loading…</p>;
    case 'signed-out':
      return <AuthScreen session={session} error={phase.error} />;
    case 'signed-in':
      return <ChatScreen session={session} chat={phase.chat} />;
  }
}
