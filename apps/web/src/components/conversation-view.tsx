import type { MessageStatus, TimelineItem } from '@parley/client';
import type { ConversationView as Conversation } from '@parley/protocol';
import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ChatStore, MessageInfo, UploadState } from '../chat-store';
import { composerMode, isAdmin, isChannel } from '../conversation-roles';
import { channelSubtitle } from '../text/channels';
import { clockTime, dayLabel, dayStarts } from '../text/days';
import { describeGroupError } from '../text/problems';
import { ChannelMark, conversationTitle } from './conversation-list';
import { LeaveGroup } from './group-forms';
import { GroupPanel, useGroupChanges } from './group-panel';
import { MessageInfoPanel } from './message-info';
import { DisappearingControl } from './disappearing-control';
import { MessageImage } from './message-image';
import { MessageText } from './message-text';

/** Own messages' marks (as the terminal client's): pending, stored, delivered to all, read by all. */
const MARKS: Record<MessageStatus, { mark: string; label: string }> = {
  pending: { mark: '…', label: 'pending' },
  sent: { mark: '✓', label: 'sent' },
  delivered: { mark: '✓✓', label: 'delivered' },
  read: { mark: '✔✔', label: 'read' },
  failed: { mark: '✗', label: 'not sent' },
};

/**
 * One conversation: its messages (older pages when scrolled to the top), and the composer; in a
 * group, its membership events as lines of their own, sender names, the group's info panel, and
 * "Info" on own messages (who has read them). In a channel, sender names and events too, but no
 * receipts: its admins write and get the channel's info panel, its other members read (the
 * server would refuse their posts) and may leave.
 */
export function ConversationView({
  chat,
  conversation,
  items,
  hasOlder,
  notice,
  upload,
  messageInfo,
  status,
}: {
  chat: ChatStore;
  conversation: Conversation;
  items: TimelineItem[];
  hasOlder: boolean;
  notice?: string;
  /** An image being uploaded here: its progress shows above the composer. */
  upload?: UploadState;
  messageInfo?: MessageInfo;
  /** Who is typing, or the other member's presence (see ChatSnapshot.status). */
  status?: string;
}) {
  const list = useRef<HTMLOListElement>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const panelButton = useRef<HTMLButtonElement>(null);
  const stickToBottom = useRef(true);
  const [text, setText] = useState('');
  const [panelOpen, setPanelOpen] = useState(false);
  const group = conversation.kind === 'group';
  const channel = isChannel(conversation);
  const hasPanel = group || (channel && isAdmin(conversation, chat.me.userId));
  const mode = composerMode(conversation, chat.me.userId);
  const showing = messageInfo ? 'info' : panelOpen && hasPanel ? 'group' : 'messages';
  const starts = dayStarts(items.map((i) => i.time));

  // New messages keep the view at the bottom unless the reader scrolled up; older pages keep
  // the message that was on top in place. (Hidden behind a panel, it waits.)
  const previousHeight = useRef(0);
  useLayoutEffect(() => {
    const el = list.current;
    if (!el || showing !== 'messages') return;
    if (stickToBottom.current) el.scrollTop = el.scrollHeight;
    else if (el.scrollTop < 40) el.scrollTop += el.scrollHeight - previousHeight.current;
    previousHeight.current = el.scrollHeight;
  }, [items, showing]);
  // Opening a conversation puts the cursor in its composer (or, with none, on its messages).
  useEffect(() => {
    stickToBottom.current = true;
    setPanelOpen(false);
    (composer.current ?? list.current)?.focus();
  }, [conversation.id]);
  // Closing "Info" gives the focus back to the message's Info button.
  const infoSeq = useRef<number | undefined>(undefined);
  useLayoutEffect(() => {
    if (messageInfo) infoSeq.current = messageInfo.seq;
    else if (infoSeq.current !== undefined) {
      list.current?.querySelector<HTMLElement>(`[data-seq="${infoSeq.current}"] .info`)?.focus();
      infoSeq.current = undefined;
    }
  }, [messageInfo]);

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

  /** A picked, pasted or dropped image goes with what the composer holds as its caption. */
  function sendImage(file: File | null | undefined) {
    if (!file) return;
    stickToBottom.current = true;
    void chat.sendImage(file, text.trim()).then((sent) => sent && setText(''));
  }

  function togglePanel() {
    if (messageInfo) chat.closeMessageInfo();
    setPanelOpen(!panelOpen || messageInfo !== undefined);
  }

  function closePanel() {
    setPanelOpen(false);
    panelButton.current?.focus();
  }

  const title = conversationTitle(conversation, chat.me.userId);
  return (
    <section
      class="conversation-view"
      aria-label={
        channel ? `Channel ${title}` : group ? `Group ${title}` : `Conversation with ${title}`
      }
    >
      <header>
        <button
          type="button"
          class="back"
          aria-label="Back to conversations"
          onClick={() => chat.open(undefined)}
        >
          ←
        </button>
        <div class="heading">
          <h2>
            {channel && <ChannelMark />}
            {title}
          </h2>
          {group || channel ? (
            <span class="subtitle">
              {!conversation.active
                ? 'You are no longer a member'
                : channel
                  ? channelSubtitle(conversation)
                  : (status ?? `${conversation.members.length} members`)}
            </span>
          ) : (
            // Kept when empty: the header does not jump as the line comes and goes.
            <span class="subtitle">{status}</span>
          )}
        </div>
        <DisappearingControl chat={chat} conversation={conversation} />
        {hasPanel && (
          <button
            type="button"
            class="secondary"
            ref={panelButton}
            aria-expanded={showing === 'group'}
            onClick={togglePanel}
          >
            {channel ? 'Channel info' : 'Group info'}
          </button>
        )}
      </header>
      {messageInfo && <MessageInfoPanel chat={chat} info={messageInfo} />}
      {showing === 'group' && (
        <GroupPanel chat={chat} conversation={conversation} onClose={closePanel} />
      )}
      {/* Focusable, so that the keyboard scrolls it (and so loads older pages). */}
      <ol
        class="messages"
        ref={list}
        onScroll={onScroll}
        tabIndex={0}
        hidden={showing !== 'messages'}
        aria-live="polite"
        aria-label="Messages"
      >
        {hasOlder && <li class="older">Scroll up for older messages</li>}
        {!hasOlder && items.length === 0 && (
          <li class="older">{channel ? 'No posts yet.' : 'No messages yet: say hello.'}</li>
        )}
        {items.map((item, i) => (
          <Fragment key={item.seq !== undefined ? `s${item.seq}` : item.clientMsgId}>
            {starts.has(i) && (
              <li class="day" role="separator">
                {dayLabel(item.time)}
              </li>
            )}
            {item.event ? (
              <EventLine item={item} />
            ) : (
              <MessageItem item={item} senders={group || channel} info={group} chat={chat} />
            )}
          </Fragment>
        ))}
      </ol>
      {showing === 'messages' && notice && (
        <p class="error" role="alert">
          {notice}
        </p>
      )}
      {showing === 'messages' && upload && <UploadProgress upload={upload} />}
      {showing === 'messages' &&
        (mode.kind === 'write' ? (
          <form
            class="composer"
            onSubmit={submit}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              sendImage(e.dataTransfer?.files[0]);
            }}
          >
            <label class="visually-hidden" for="composer">
              Message
            </label>
            <textarea
              id="composer"
              ref={composer}
              rows={1}
              value={text}
              placeholder="Write a message"
              onInput={(e) => {
                setText(e.currentTarget.value);
                if (e.currentTarget.value) chat.typing();
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) submit(e);
              }}
              onPaste={(e) => {
                const file = [...(e.clipboardData?.files ?? [])].find((f) =>
                  f.type.startsWith('image/'),
                );
                if (file) {
                  e.preventDefault();
                  sendImage(file);
                }
              }}
            />
            <label class="attach" title="Send an image (JPEG, PNG, WebP)">
              <span aria-hidden="true">Image</span>
              <span class="visually-hidden">Send an image</span>
              <input
                type="file"
                accept="image/jpeg,image/png,image/webp"
                class="visually-hidden"
                onChange={(e) => {
                  sendImage(e.currentTarget.files?.[0]);
                  e.currentTarget.value = '';
                }}
              />
            </label>
            <button type="submit">Send</button>
          </form>
        ) : mode.kind === 'read-only' ? (
          <ReadOnlyChannel chat={chat} title={title} canLeave={mode.canLeave} />
        ) : channel ? (
          <ChannelEnded chat={chat} id={conversation.id} canJoin={mode.canJoin} />
        ) : (
          <p class="ended" role="status">
            You are no longer a member of this group: you can read what was said until then, but not
            write.
          </p>
        ))}
    </section>
  );
}

/**
 * An image upload's progress: the bytes sent, then (all sent) the server processing it. The bar
 * carries the bytes (value of max); the words, the percentage.
 */
function UploadProgress({ upload }: { upload: UploadState }) {
  const { name, sent, total } = upload;
  const percent = total > 0 ? Math.min(100, Math.floor((sent / total) * 100)) : 0;
  const processing = total > 0 && sent >= total;
  return (
    <p class="upload" role="status">
      <progress
        data-testid="upload-progress"
        value={sent}
        max={total}
        aria-label={name ? `Uploading ${name}` : 'Uploading the image'}
      >
        {percent}%
      </progress>
      <span>{processing ? 'Processing the image…' : `Uploading the image… ${percent}%`}</span>
    </p>
  );
}

/** Where a channel's reader (not an admin) would write: why not, and Leave. */
function ReadOnlyChannel({
  chat,
  title,
  canLeave,
}: {
  chat: ChatStore;
  title: string;
  canLeave: boolean;
}) {
  const { changes, outcome } = useGroupChanges(chat);
  return (
    <div class="ended read-only">
      <p role="status">Only admins post in this channel.</p>
      {canLeave && <LeaveGroup changes={changes} title={title} noun="channel" rejoin={true} />}
      {outcome && !outcome.ok && (
        <p class="error" role="alert">
          {outcome.text}
        </p>
      )}
    </div>
  );
}

/** A channel this user left or was removed from: read-only, and joined again if public. */
function ChannelEnded({ chat, id, canJoin }: { chat: ChatStore; id: string; canJoin: boolean }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  async function join() {
    setBusy(true);
    setProblem(undefined);
    try {
      await chat.joinChannel(id);
    } catch (err) {
      setProblem(describeGroupError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="ended read-only">
      <p role="status">
        You are no longer a member of this channel: you can read what was said until then.
      </p>
      {canJoin && (
        <button type="button" disabled={busy} onClick={() => void join()}>
          Join again
        </button>
      )}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

/** A membership event ("alice added dave"): a centred line of its own, not a bubble. */
function EventLine({ item }: { item: TimelineItem }) {
  return (
    <li class="event" data-seq={item.seq}>
      <span class="event-text">{item.text}</span>{' '}
      <time dateTime={item.time}>{clockTime(item.time)}</time>
    </li>
  );
}

/**
 * A message: its sender's name in a group or channel (`senders`), its mark if own, and "Info" on
 * own group messages (`info`: a channel has no read receipts).
 */
function MessageItem({
  item,
  senders,
  info: canInfo,
  chat,
}: {
  item: TimelineItem;
  senders: boolean;
  info: boolean;
  chat: ChatStore;
}) {
  const seq = item.seq;
  const info = canInfo && item.own && seq !== undefined && item.status !== 'failed';
  return (
    <li class={item.own ? 'message own' : 'message'} data-status={item.status} data-seq={seq}>
      {senders && !item.own && <span class="sender">{item.senderUsername}</span>}
      {item.image && <MessageImage chat={chat} image={item.image} />}
      {(item.text !== '' || !item.image) && (
        <span class="text">
          <MessageText text={item.text} />
        </span>
      )}
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
        {info && (
          <button
            type="button"
            class="info"
            aria-label={`Info: who has read "${short(item.text)}"`}
            onClick={() => chat.showMessageInfo(seq)}
          >
            Info
          </button>
        )}
      </span>
    </li>
  );
}

function short(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}
