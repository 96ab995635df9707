import { createInterface } from 'node:readline';
import { ChatController } from '../chat/chat-controller';
import { ChatScreen, PROMPT } from '../chat/chat-screen';
import { CommandContext, requireCredentials, UsageError } from './command-context';
import { deviceClient } from './device-client';

/** `parley chat <username>`: the interactive screen until /quit, Ctrl-C or Ctrl-D. */
export async function chatCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const peer = args[0];
  if (!peer) throw new UsageError('usage: parley chat <username>');
  // One person per chat: group conversations do not exist yet.
  if (args.length > 1) {
    throw new UsageError(
      `usage: parley chat <username> (one person; group chats do not exist yet: got ${args.join(', ')})`,
    );
  }
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
    peer,
    credentials,
    ctx.api,
    client,
    (view) => screen.render(view),
    (reason) => finish(reason),
  );

  rl.on('line', (line) => {
    const text = line.trim();
    if (text === '/quit' || text === '/exit') return finish();
    if (text) controller.send(text);
    else rl.prompt(true);
  });
  rl.on('SIGINT', () => finish());
  rl.on('close', () => finish());
  const onResize = () => screen.render(controller.view());
  ctx.stdout.on('resize', onResize);

  try {
    await controller.start();
  } catch (err) {
    rl.close();
    throw err;
  }
  screen.start();
  screen.render(controller.view());
  const reason = await done;
  controller.stop();
  ctx.stdout.off('resize', onResize);
  screen.stop();
  rl.close();
  if (reason) ctx.stderr.write(`${reason}\n`);
}
