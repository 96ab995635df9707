import { UsageError } from './command-context';
import { describeSettings, SETTINGS_USAGE, settingsChange } from './settings';

describe('parley settings', () => {
  it('reads the change to make, or none (show them)', () => {
    expect(settingsChange([])).toBeUndefined();
    expect(settingsChange(['read-receipts', 'off'])).toEqual({ readReceipts: false });
    expect(settingsChange(['read-receipts', 'on'])).toEqual({ readReceipts: true });
    expect(settingsChange(['presence', 'everyone'])).toEqual({ presence: 'everyone' });
    expect(settingsChange(['presence', 'contacts'])).toEqual({ presence: 'contacts' });
    expect(settingsChange(['presence', 'nobody'])).toEqual({ presence: 'nobody' });
  });

  it('refuses a wrong name, value or extra words, with the usage', () => {
    for (const args of [
      ['read-receipts', 'maybe'],
      ['read-receipts'],
      ['presence', 'friends'],
      ['presence'],
      ['presence', 'nobody', 'now'],
      ['typing', 'off'],
    ]) {
      expect(() => settingsChange(args)).toThrow(UsageError);
      expect(() => settingsChange(args)).toThrow(SETTINGS_USAGE);
    }
  });

  it('says each setting on its own line, with what a restrictive one means', () => {
    expect(describeSettings({ readReceipts: true, presence: 'everyone' })).toBe(
      'read receipts: on\npresence: everyone\n',
    );
    expect(describeSettings({ readReceipts: false, presence: 'contacts' })).toBe(
      'read receipts: off (others see only delivered from you, and you see nobody’s read state)\n' +
        'presence: contacts (only your contacts see when you are online and when you were last seen, and you see only your contacts’)\n',
    );
    expect(describeSettings({ readReceipts: true, presence: 'nobody' })).toContain(
      'presence: nobody (nobody sees when you are online or when you were last seen, and you see nobody’s)',
    );
  });
});
