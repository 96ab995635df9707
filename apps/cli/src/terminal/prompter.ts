import { Interface, createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * Line prompts on one readline interface. Lines are queued as they come, so piped input
 * (`printf 'alice\n…' | parley login`) is not lost between questions. `secret` questions do not
 * echo what is typed.
 */
export class Prompter {
  private muted = false;
  private closed = false;
  private readonly rl: Interface;
  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;

  constructor(
    input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stdout,
  ) {
    const sink = new Writable({
      write: (chunk: Buffer | string, _encoding, callback) => {
        if (!this.muted) this.output.write(chunk);
        callback();
      },
    });
    this.rl = createInterface({ input, output: sink, terminal: Boolean(input.isTTY) });
    this.rl.on('line', (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(line);
      } else this.lines.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      this.waiting?.(undefined);
    });
  }

  async ask(question: string): Promise<string> {
    this.rl.setPrompt(question);
    this.rl.prompt();
    const line = await this.nextLine();
    if (line === undefined) throw new Error('input closed');
    return line.trim();
  }

  async secret(question: string): Promise<string> {
    this.output.write(question);
    this.muted = true;
    try {
      return await this.ask('');
    } finally {
      this.muted = false;
      this.output.write('\n');
    }
  }

  close(): void {
    this.rl.close();
  }

  private nextLine(): Promise<string | undefined> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }
}
