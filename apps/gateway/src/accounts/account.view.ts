import type { UserView } from '@parley/protocol';
import { UserEntity } from './user.entity';

export type { UserView };

/** The public shape of an account on the wire (never the entity itself). */
export function toUserView(user: UserEntity): UserView {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    realName: user.realName,
    createdAt: user.createdAt.toISOString(),
  };
}
