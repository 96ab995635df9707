import type { Interface } from 'node:readline';
import { FOCUS_REPORTING_OFF, FOCUS_REPORTING_ON } from '../terminal/focus';
import { renderMessageLine, sanitize, wrap } from './message-line';
import type { TimelineItem } from '@parley/client';

export interface ScreenSize {
  columns: number;
  rows: number;
}

export interface ChatView {
  title: string;
  /** What the header says of the others: `online`, `last seen 09:05`, `bob is typing…`. */
  status?: string;
  connection: string;
  notice?: string;
  items: TimelineItem[];
}

const ESC = '\u001b[';
export const PROMPT = '> ';

/** The header's first row: `parley · alice ↔ bob · online` (the status, when there is one). */
export function chatHeadline(view: Pick<ChatView, 'title' | 'status'>): string {
  return `parley · ${view.title}${view.status ? ` · ${view.status}` : ''}`;
}

/**
 * Lays out the chat screen as rows (pure): header, rule, the newest messages that fit, rule,
 * notice; the input line (readline's) is the last row.
 */
export function layoutChat(view: ChatView, size: ScreenSize, now?: Date): string[] {
  const width = Math.max(20, size.columns);
  const clip = (line: string) => [...line].slice(0, width).join('');
  const header = [clip(chatHeadline(view)), clip(view.connection), '─'.repeat(width)];
  const footer = ['─'.repeat(width), clip(view.notice ? sanitize(view.notice) : '')];
  const room = Math.max(1, size.rows - header.length - footer.length - 1);
  const body = view.items.flatMap((item) => wrap(renderMessageLine(item, now), width));
  const visible = body.slice(-room);
  const padding = Array.from({ length: room - visible.length }, () => '');
  return [...header, ...padding, ...visible, ...footer];
}

/**
 * Draws the chat on a terminal. Full-screen (alternate screen, whole redraw on every change) on a
 * capable TTY (which is also asked to report its focus: see terminal/focus.ts); otherwise (TERM=dumb, pipes) it prints each new or changed message line once (and
 * each new connection state, header status and notice as a `--` line), which keeps output
 * readable in logs and scripts. The input line belongs to readline and is restored
 * after each redraw.
 */
export class ChatScreen {
  private printed = new Map<string, string>();
  private lastConnection = '';
  private lastStatus = '';
  private lastNotice = '';
  private active = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly rl: Interface,
    private readonly fullScreen: boolean,
  ) {}

  start(): void {
    this.active = true;
    if (this.fullScreen) this.out.write(`${ESC}?1049h${FOCUS_REPORTING_ON}${ESC}H${ESC}2J`);
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    if (this.fullScreen) this.out.write(`${FOCUS_REPORTING_OFF}${ESC}?1049l`);
    else this.out.write('\n');
  }

  size(): ScreenSize {
    return {
      columns: this.out.columns || Number(process.env.COLUMNS) || 80,
      rows: this.out.rows || Number(process.env.LINES) || 24,
    };
  }

  render(view: ChatView): void {
    if (!this.active) return;
    if (this.fullScreen) this.renderFull(view);
    else this.renderLines(view);
  }

  private renderFull(view: ChatView): void {
    const rows = layoutChat(view, this.size());
    this.out.write(`${ESC}H${ESC}2J${rows.map((r) => `${r}${ESC}K`).join('\r\n')}\r\n`);
    this.rl.prompt(true);
  }

  private renderLines(view: ChatView): void {
    const lines: string[] = [];
    if (view.connection !== this.lastConnection) {
      this.lastConnection = view.connection;
      lines.push(`-- ${view.connection}`);
    }
    if ((view.status ?? '') !== this.lastStatus) {
      this.lastStatus = view.status ?? '';
      if (this.lastStatus) lines.push(`-- ${chatHeadline(view)}`);
    }
    if ((view.notice ?? '') !== this.lastNotice) {
      this.lastNotice = view.notice ?? '';
      if (this.lastNotice) lines.push(`-- ${sanitize(this.lastNotice)}`);
    }
    for (const item of view.items) {
      const line = renderMessageLine(item);
      if (this.printed.get(item.clientMsgId) === line) continue;
      this.printed.set(item.clientMsgId, line);
      lines.push(line);
    }
    if (lines.length === 0) return;
    this.out.write(`\r${ESC}K${lines.join('\n')}\n`);
    this.rl.prompt(true);
  }
}
