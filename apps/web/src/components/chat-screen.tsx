import { CloseCode } from '@parley/protocol';
import type { ChatStore } from '../chat-store';
import { useSubscription } from '../hooks';
import type { WebSession } from '../session';
import { ChannelBrowser } from './channel-browser';
import { ConversationList } from './conversation-list';
import { ConversationView } from './conversation-view';
import { NewGroup } from './new-group';
import { PeopleSearch } from './people-search';
import { SettingsPanel } from './settings-panel';

/** The signed-in screen: a banner while disconnected, the list, the open conversation. */
export function ChatScreen({ session, chat }: { session: WebSession; chat: ChatStore }) {
  const s = useSubscription(chat, () => chat.snapshot);
  const open = s.conversations.find((c) => c.id === s.openId);
  const state = s.connection;
  const replaced = state.kind === 'stopped' && state.code === CloseCode.Replaced;
  const offline = !replaced && state.kind !== 'online';
  return (
    <div class={open ? 'chat has-open' : 'chat'}>
      {offline && (
        <div class="banner" role="status">
          {state.kind === 'connecting'
            ? 'Connecting…'
            : 'Offline: messages you write are kept and sent when the connection is back.'}
        </div>
      )}
      {replaced && (
        <div class="banner" role="status">
          Parley is open in another window.{' '}
          <button type="button" onClick={() => session.useHere()}>
            Use here
          </button>
        </div>
      )}
      <nav class="sidebar" aria-label="Chats">
        <header>
          <span class="me" aria-label={`Logged in as ${s.me.username}`}>
            {s.me.username}
          </span>
          <button type="button" onClick={() => void session.logout()}>
            Log out
          </button>
        </header>
        <PeopleSearch chat={chat} results={s.searchResults} />
        <div class="tools">
          <NewGroup chat={chat} />
          <ChannelBrowser chat={chat} search={s.channelSearch} />
          <SettingsPanel chat={chat} settings={s.settings} />
        </div>
        <ConversationList
          chat={chat}
          conversations={s.conversations}
          openId={s.openId}
          online={s.online}
        />
      </nav>
      <main class="main">
        {open ? (
          <ConversationView
            chat={chat}
            conversation={open}
            items={s.items}
            hasOlder={s.hasOlder}
            notice={s.notice}
            upload={s.upload}
            messageInfo={s.messageInfo}
            status={s.status}
          />
        ) : (
          <p class="empty">
            Choose a conversation, find someone to write to, start a group, or find channels.
          </p>
        )}
      </main>
    </div>
  );
}
