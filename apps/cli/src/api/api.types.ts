import type { DeliveredMessage } from '@parley/common';

export interface UserView {
  id: string;
  username: string;
  email?: string;
  realName?: string;
  createdAt?: string;
}

export interface LoginAnswer {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  user: UserView;
}

export type TokenPair = Omit<LoginAnswer, 'user'>;

export type { ConnectAnswer } from '@parley/common';

export interface ConversationMember {
  id: string;
  username: string;
}

export interface ConversationView {
  id: string;
  kind: string;
  members: ConversationMember[];
  lastMessage: DeliveredMessage | null;
  lastSeq: number;
  readSeq: number;
  unread: number;
}

export interface ContactView {
  id?: string;
  username: string;
  realName?: string;
}

export interface MessagesPage {
  messages: DeliveredMessage[];
  hasMore: boolean;
}
