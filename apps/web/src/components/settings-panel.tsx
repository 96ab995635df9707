import { useRef, useState } from 'preact/hooks';
import type { ChatStore, SettingsState } from '../chat-store';

/** "Settings": read receipts on or off (asked from the server when opened). */
export function SettingsPanel({ chat, settings }: { chat: ChatStore; settings?: SettingsState }) {
  const [open, setOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  const known = settings?.readReceipts;
  return (
    <section class={open ? 'settings open' : 'settings'} aria-label="Settings">
      <button
        type="button"
        ref={toggle}
        class="secondary"
        aria-expanded={open}
        aria-controls="settings-panel"
        onClick={() => {
          if (!open) void chat.loadSettings();
          setOpen(!open);
        }}
      >
        Settings
      </button>
      {open && (
        <div
          id="settings-panel"
          class="settings-panel"
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            setOpen(false);
            toggle.current?.focus();
          }}
        >
          <label class="check">
            <input
              type="checkbox"
              checked={known ?? true}
              disabled={known === undefined || settings?.saving}
              onChange={(e) => void chat.setReadReceipts(e.currentTarget.checked)}
              aria-describedby="read-receipts-hint"
            />
            Read receipts
          </label>
          <p class="hint" id="read-receipts-hint">
            {known === false
              ? 'Off: others see only that your messages reached you, and you see nobody’s read marks.'
              : 'On: others see when you have read their messages, and you see when they read yours.'}
          </p>
          {settings?.problem && <p role="alert">{settings.problem}</p>}
        </div>
      )}
    </section>
  );
}
