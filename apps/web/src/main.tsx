// First: zod's settings hold before any schema is built.
import './zod-config';
import { render } from 'preact';
import { App } from './app';
import { WebSession } from './session';
import './styles.css';

const session = new WebSession();
const root = document.getElementById('app');
if (root) render(<App session={session} />, root);
void session.boot();

// The app shell offline (see vite.config.mts): a reload without network still opens Parley.
if ('serviceWorker' in navigator) {
  void navigator.serviceWorker.register('/sw.js').catch(() => undefined);
}
