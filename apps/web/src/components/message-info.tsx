import { useEffect, useRef } from 'preact/hooks';
import type { MessageReceiptsAnswer } from '@parley/protocol';
import type { ChatStore, MessageInfo } from '../chat-store';
import { receiptState, when } from '../text/receipts';
import { MessageText } from './message-text';

/**
 * "Info" on an own message: every member who can read it, each with delivered / read and when
 * (the server's times; asked again while cursors move).
 */
export function MessageInfoPanel({ chat, info }: { chat: ChatStore; info: MessageInfo }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [info.seq]);
  const members = info.answer?.members;
  return (
    <section
      class="panel"
      aria-labelledby="message-info-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') chat.closeMessageInfo();
      }}
    >
      <div class="panel-header">
        <h3 id="message-info-title" ref={heading} tabIndex={-1}>
          Message info
        </h3>
        <button type="button" class="secondary" onClick={() => chat.closeMessageInfo()}>
          Back to messages
        </button>
      </div>
      <blockquote class="quoted">
        <MessageText text={info.text} />
      </blockquote>
      {info.problem && (
        <p class="error" role="alert">
          {info.problem}
        </p>
      )}
      {!members && !info.problem && <p role="status">Asking the server…</p>}
      {members && members.length === 0 && <p>Nobody else can read it.</p>}
      {members && members.length > 0 && (
        <ul class="members receipts" aria-label="Receipts">
          {members.map((m) => (
            <li key={m.id}>
              <span class="who">{m.username}</span>
              <ReceiptState member={m} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** "read 10:02", "delivered 10:01, not read yet", "not delivered yet" (the time as `<time>`). */
function ReceiptState({ member }: { member: MessageReceiptsAnswer['members'][number] }) {
  const { state, at, after } = receiptState(member);
  return (
    <span class="role">
      {state}
      {at && (
        <>
          {' '}
          <time dateTime={at}>{when(at)}</time>
        </>
      )}
      {after}
    </span>
  );
}
