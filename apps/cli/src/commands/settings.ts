import {
  type PresenceVisibility,
  presenceVisibilitySchema,
  type SettingsBody,
  type SettingsView,
} from '@parley/protocol';
import { UsageError } from './command-context';

export const SETTINGS_USAGE =
  'usage: parley settings [read-receipts on|off | presence everyone|contacts|nobody]';

/**
 * The change `parley settings <name> <value>` asks for, or undefined for none (`parley settings`
 * shows them). A wrong name or value is a UsageError.
 */
export function settingsChange(args: readonly string[]): SettingsBody | undefined {
  const [name, value, ...rest] = args;
  if (name === undefined) return undefined;
  if (rest.length === 0 && name === 'read-receipts' && (value === 'on' || value === 'off')) {
    return { readReceipts: value === 'on' };
  }
  const presence = presenceVisibilitySchema.safeParse(value);
  if (rest.length === 0 && name === 'presence' && presence.success) {
    return { presence: presence.data };
  }
  throw new UsageError(SETTINGS_USAGE);
}

/** Who sees one's online state and last seen, and (reciprocally) whose one sees. */
const PRESENCE_MEANING: Record<PresenceVisibility, string> = {
  everyone: 'everyone',
  contacts:
    'contacts (only your contacts see when you are online and when you were last seen, and you see only your contacts’)',
  nobody:
    'nobody (nobody sees when you are online or when you were last seen, and you see nobody’s)',
};

/** One line per setting, as `parley settings` prints them. */
export function describeSettings(settings: SettingsView): string {
  const receipts = settings.readReceipts
    ? 'on'
    : 'off (others see only delivered from you, and you see nobody’s read state)';
  return `read receipts: ${receipts}\npresence: ${PRESENCE_MEANING[settings.presence]}\n`;
}
