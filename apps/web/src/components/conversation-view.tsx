import type { MessageStatus, TimelineItem } from '@parley/client';
import type { ConversationView as Conversation } from '@parley/protocol';
import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ChatStore } from '../chat-store';
import { clockTime, dayLabel, dayStarts } from '../text/days';
import { conversationTitle } from './conversation-list';
import { MessageText } from './message-text';

/** Own messages' marks (as the terminal client's): pending, stored, delivered to all, read by all. */
const MARKS: Record<MessageStatus, { mark: string; label: string }> = {
  pending: { mark: '…', label: 'pending' },
  sent: { mark: '✓', label: 'sent' },
  delivered: { mark: '✓✓', label: 'delivered' },
  read: { mark: '✔✔', label: 'read' },
  failed: { mark: '✗', label: 'not sent' },
};

/** One conversation: its messages (older pages when scrolled to the top), and the composer. */
export function ConversationView({
  chat,
  conversation,
  items,
  hasOlder,
  notice,
}: {
  chat: ChatStore;
  conversation: Conversation;
  items: TimelineItem[];
  hasOlder: boolean;
  notice?: string;
}) {
  const list = useRef<HTMLOListElement>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const stickToBottom = useRef(true);
  const [text, setText] = useState('');
  const group = conversation.members.length > 2;
  const starts = dayStarts(items.map((i) => i.time));

  // New messages keep the view at the bottom unless the reader scrolled up; older pages keep
  // the message that was on top in place.
  const previousHeight = useRef(0);
  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    if (stickToBottom.current) el.scrollTop = el.scrollHeight;
    else if (el.scrollTop < 40) el.scrollTop += el.scrollHeight - previousHeight.current;
    previousHeight.current = el.scrollHeight;
  }, [items]);
  // Opening a conversation puts the cursor in its composer.
  useEffect(() => {
    stickToBottom.current = true;
    composer.current?.focus();
  }, [conversation.id]);

  function onScroll() {
    const el = list.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 40 && hasOlder) chat.loadOlder();
  }

  function submit(event: Event) {
    event.preventDefault();
    if (!text.trim()) return;
    stickToBottom.current = true;
    if (chat.send(text)) setText('');
  }

  const title = conversationTitle(conversation, chat.me.userId);
  return (
    <section class="conversation-view" aria-label={`Conversation with ${title}`}>
      <header>
        <button
          type="button"
          class="back"
          aria-label="Back to conversations"
          onClick={() => chat.open(undefined)}
        >
          ←
        </button>
        <h2>{title}</h2>
      </header>
      {/* Focusable, so that the keyboard scrolls it (and so loads older pages). */}
      <ol
        class="messages"
        ref={list}
        onScroll={onScroll}
        tabIndex={0}
        aria-live="polite"
        aria-label="Messages"
      >
        {hasOlder && <li class="older">Scroll up for older messages</li>}
        {!hasOlder && items.length === 0 && <li class="older">No messages yet: say hello.</li>}
        {items.map((item, i) => (
          <Fragment key={item.seq !== undefined ? `s${item.seq}` : item.clientMsgId}>
            {starts.has(i) && (
              <li class="day" role="separator">
                {dayLabel(item.time)}
              </li>
            )}
            <li class={item.own ? 'message own' : 'message'} data-status={item.status}>
              {group && !item.own && <span class="sender">{item.senderUsername}</span>}
              <span class="text">
                <MessageText text={item.text} />
              </span>
              <span class="meta">
                <time dateTime={item.time}>{clockTime(item.time)}</time>
                {item.status && (
                  <span
                    class="mark"
                    aria-label={MARKS[item.status].label}
                    title={item.error ?? MARKS[item.status].label}
                  >
                    {MARKS[item.status].mark}
                  </span>
                )}
              </span>
            </li>
          </Fragment>
        ))}
      </ol>
      {notice && (
        <p class="error" role="alert">
          {notice}
        </p>
      )}
      <form class="composer" onSubmit={submit}>
        <label class="visually-hidden" for="composer">
          Message
        </label>
        <textarea
          id="composer"
          ref={composer}
          rows={1}
          value={text}
          placeholder="Write a message"
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
        />
        <button type="submit">Send</button>
      </form>
    </section>
  );
}
