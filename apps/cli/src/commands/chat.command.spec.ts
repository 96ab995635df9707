import { chatCommand } from './chat.command';
import { type CommandContext, UsageError } from './command-context';

describe('parley chat', () => {
  /** A context that must never be reached: the arguments are refused first. */
  const untouched = new Proxy({} as CommandContext, {
    get: (_target, key) => {
      throw new Error(`the command used ctx.${String(key)} before refusing its arguments`);
    },
  });

  it('refuses more than one person (a group chat is `parley group chat`), before connecting or creating anything', async () => {
    await expect(chatCommand(untouched, ['bob', 'carol', 'alice'])).rejects.toThrow(UsageError);
    await expect(chatCommand(untouched, ['bob', 'carol'])).rejects.toThrow(
      /one person; for a group: parley group chat <group>; got bob, carol/,
    );
  });

  it('asks for a username', async () => {
    await expect(chatCommand(untouched, [])).rejects.toThrow('usage: parley chat <username>');
  });
});
