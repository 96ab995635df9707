import type { MessageReceiptsAnswer } from '@parley/protocol';
import { clockTime, dayLabel } from './days';

type MemberReceipts = MessageReceiptsAnswer['members'][number];

/** "10:02" today, "Yesterday 10:02", "Monday, 23 November 10:02"; null: the time is not known. */
export function when(iso: string | null, now: Date = new Date()): string | undefined {
  if (!iso) return undefined;
  const day = dayLabel(iso, now);
  return day === 'Today' ? clockTime(iso) : `${day} ${clockTime(iso)}`;
}

/**
 * One member's receipt of a message: what happened last ("read", "delivered", "not delivered
 * yet"), when (absent for a time the server did not keep), and what is still to come.
 */
export function receiptState(member: MemberReceipts): {
  state: string;
  at?: string;
  after?: string;
} {
  if (member.read) return { state: 'read', at: member.readAt ?? undefined };
  if (member.delivered)
    return { state: 'delivered', at: member.deliveredAt ?? undefined, after: ', not read yet' };
  return { state: 'not delivered yet' };
}

/** The receipt in words: "read 10:02", "delivered 10:01, not read yet", "not delivered yet". */
export function receiptText(member: MemberReceipts, now: Date = new Date()): string {
  const { state, at, after } = receiptState(member);
  const time = at ? when(at, now) : undefined;
  return `${state}${time ? ` ${time}` : ''}${after ?? ''}`;
}
