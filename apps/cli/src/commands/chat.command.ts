import { createInterface, type Key } from 'node:readline';
import { ChatController, type GroupTarget } from '../chat/chat-controller';
import { ChatScreen, PROMPT } from '../chat/chat-screen';
import { focusOf } from '../terminal/focus';
import { CommandContext, requireCredentials, UsageError } from './command-context';
import { deviceClient } from './device-client';

/** `parley chat <username>`: the interactive screen until /quit, Ctrl-C or Ctrl-D. */
export async function chatCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const peer = args[0];
  if (!peer) throw new UsageError('usage: parley chat <username>');
  // One person per chat: a group chat is `parley group chat <group>`.
  if (args.length > 1) {
    throw new UsageError(
      `usage: parley chat <username> (one person; for a group: parley group chat <group>; got ${args.join(', ')})`,
    );
  }
  await runChat(ctx, peer);
}

/** The interactive chat screen for a 1:1 (`peer`, a username) or a group, until /quit. */
export async function runChat(ctx: CommandContext, target: string | GroupTarget): Promise<void> {
  const credentials = requireCredentials(ctx);
  const rl = createInterface({
    input: ctx.stdin,
    output: ctx.stdout,
    terminal: Boolean(ctx.stdout.isTTY),
    prompt: PROMPT,
  });
  const fullScreen = Boolean(ctx.stdout.isTTY) && ctx.env.TERM !== 'dumb';
  const screen = new ChatScreen(ctx.stdout, rl, fullScreen);

  let finish: (reason?: string) => void = () => undefined;
  const done = new Promise<string | undefined>((resolve) => (finish = resolve));
  const client = deviceClient(ctx, credentials);
  const controller = new ChatController(
    target,
    credentials,
    ctx.api,
    client,
    (view) => screen.render(view),
    (reason) => finish(reason),
  );

  rl.on('line', (line) => {
    const text = line.trim();
    if (text === '/quit' || text === '/exit') return finish();
    if (text && !controller.command(text)) controller.send(text);
    else rl.prompt(true);
  });
  rl.on('SIGINT', () => finish());
  rl.on('close', () => finish());
  // Readline reads lines, but on a terminal it decodes every keystroke into a `keypress` event
  // on stdin first (its own listener runs before this one, so `rl.line` already holds the key):
  // each one tells the controller what the input line now holds, for the typing signal. Piped
  // input has no keystrokes, and a whole line arrives at once to be sent: no signal then. The
  // full screen's terminal reports its focus the same way: the user is online while it has it.
  const onKeypress = (_text: string | undefined, key: Key | undefined) => {
    const focused = focusOf(key?.sequence);
    if (focused === undefined) controller.input(rl.line);
    else controller.focus(focused);
  };
  if (rl.terminal) ctx.stdin.on('keypress', onKeypress);
  const onResize = () => screen.render(controller.view());
  ctx.stdout.on('resize', onResize);

  try {
    await controller.start();
  } catch (err) {
    ctx.stdin.off('keypress', onKeypress);
    ctx.stdout.off('resize', onResize);
    rl.close();
    throw err;
  }
  screen.start();
  screen.render(controller.view());
  const reason = await done;
  controller.stop();
  ctx.stdin.off('keypress', onKeypress);
  ctx.stdout.off('resize', onResize);
  screen.stop();
  rl.close();
  if (reason) ctx.stderr.write(`${reason}\n`);
}
