import { useDisclosure } from '../hooks';
import type { ChatStore, SettingsState } from '../chat-store';
import { PRESENCE_CHOICES } from '../text/presence';

/**
 * "Settings": read receipts on or off, and who sees when one is online (asked from the server
 * when opened; each change is saved at once).
 */
export function SettingsPanel({ chat, settings }: { chat: ChatStore; settings?: SettingsState }) {
  const { open, setOpen, toggle, close } = useDisclosure();
  const known = settings?.readReceipts;
  const presence = PRESENCE_CHOICES.find((c) => c.value === settings?.presence);
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
            if (e.key === 'Escape') close();
          }}
        >
          {known === undefined ? (
            // Shown only once the server said: a box ticked by default could be untrue.
            !settings?.problem && <p class="hint">Asking the server…</p>
          ) : (
            <>
              <label class="check">
                <input
                  type="checkbox"
                  checked={known}
                  disabled={settings?.saving}
                  onChange={(e) => void chat.setReadReceipts(e.currentTarget.checked)}
                  aria-describedby="read-receipts-hint"
                />
                Read receipts
              </label>
              <p class="hint" id="read-receipts-hint">
                {known
                  ? 'On: others see when you have read their messages, and you see when they read yours.'
                  : 'Off: others see only that your messages reached you, and you see nobody’s read marks.'}
              </p>
              {presence && (
                <fieldset aria-describedby="presence-hint">
                  <legend>Who sees when you are online</legend>
                  {PRESENCE_CHOICES.map((c) => (
                    <label key={c.value} class="check">
                      <input
                        type="radio"
                        name="presence"
                        value={c.value}
                        checked={c === presence}
                        disabled={settings?.saving}
                        onChange={() => void chat.setPresence(c.value)}
                      />
                      {c.label}
                    </label>
                  ))}
                  <p class="hint" id="presence-hint">
                    {presence.hint}
                  </p>
                </fieldset>
              )}
            </>
          )}
          {settings?.problem && <p role="alert">{settings.problem}</p>}
        </div>
      )}
    </section>
  );
}
