import { useEffect, useState } from 'preact/hooks';
import { describeError, type WebSession } from '../session';

/** Log in or register: labelled fields, errors said in words, everything reachable by keyboard. */
export function AuthScreen({ session, error }: { session: WebSession; error?: string }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [problem, setProblem] = useState<string | undefined>(error);
  const [busy, setBusy] = useState(false);
  // A problem found after the form is shown (the server unreachable at start-up).
  useEffect(() => setProblem(error), [error]);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value : '';
    };
    setBusy(true);
    setProblem(undefined);
    try {
      if (mode === 'login') await session.login(field('username'), field('password'));
      else {
        await session.register({
          username: field('username'),
          email: field('email'),
          realName: field('realName'),
          password: field('password'),
        });
      }
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth">
      <h1>Parley</h1>
      <div class="tabs" role="tablist" aria-label="Account">
        <button
          role="tab"
          type="button"
          aria-selected={mode === 'login'}
          onClick={() => setMode('login')}
        >
          Log in
        </button>
        <button
          role="tab"
          type="button"
          aria-selected={mode === 'register'}
          onClick={() => setMode('register')}
        >
          Register
        </button>
      </div>
      <form onSubmit={(e) => void submit(e)} aria-label={mode === 'login' ? 'Log in' : 'Register'}>
        <label>
          Username
          <input name="username" autocomplete="username" required minLength={3} maxLength={32} />
        </label>
        {mode === 'register' && (
          <>
            <label>
              Email
              <input name="email" type="email" autocomplete="email" required maxLength={254} />
            </label>
            <label>
              Real name
              <input name="realName" autocomplete="name" required maxLength={100} />
            </label>
          </>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'register' ? 10 : 1}
          />
        </label>
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {mode === 'login' ? 'Log in' : 'Create account'}
        </button>
      </form>
    </main>
  );
}
