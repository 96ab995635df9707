import {
  type ConversationView as Conversation,
  describeTimer,
  DISAPPEARING_TIMERS_S,
} from '@parley/protocol';
import { useState } from 'preact/hooks';
import type { ChatStore } from '../chat-store';
import { isAdmin } from '../conversation-roles';
import { describeGroupError } from '../text/problems';

/**
 * Disappearing messages, in the conversation's header and in a group's or channel's info panel: a
 * choice (off, or one of the timers) for who may set it (either member of a 1:1, a group's or
 * channel's admins), else what is in force. A change is an event in the conversation; refusals
 * are said in words. `label` names the choice (two on one screen need two names).
 */
export function DisappearingControl({
  chat,
  conversation,
  label = 'Disappearing messages',
}: {
  chat: ChatStore;
  conversation: Conversation;
  label?: string;
}) {
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const timer = conversation.timer ?? null;
  const direct = conversation.kind === 'direct';
  const mayChange = conversation.active && (direct || isAdmin(conversation, chat.me.userId));
  if (!mayChange) {
    return timer === null ? null : (
      <span class="timer" title="Messages disappear">
        Disappear after {describeTimer(timer)}
      </span>
    );
  }
  const offered = [...new Set([...DISAPPEARING_TIMERS_S, ...(timer === null ? [] : [timer])])].sort(
    (a, b) => a - b,
  );
  async function choose(value: string) {
    const seconds = value === 'off' ? null : Number(value);
    setBusy(true);
    setProblem(undefined);
    try {
      await chat.changeGroup({ op: 'timer', seconds });
    } catch (err) {
      setProblem(describeGroupError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <label class="timer">
      <span class="visually-hidden">{label}</span>
      <select
        value={timer === null ? 'off' : String(timer)}
        disabled={busy}
        onChange={(e) => void choose(e.currentTarget.value)}
      >
        <option value="off">Messages stay</option>
        {offered.map((s) => (
          <option key={s} value={String(s)}>
            Disappear after {describeTimer(s)}
          </option>
        ))}
      </select>
      {problem && (
        <span class="error" role="alert">
          {problem}
        </span>
      )}
    </label>
  );
}
