import { UserEntity } from './user.entity';

/** The public shape of an account on the wire (never the entity itself). */
export interface UserView {
  id: string;
  username: string;
  email: string;
  realName: string;
  createdAt: string;
}

export function toUserView(user: UserEntity): UserView {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    realName: user.realName,
    createdAt: user.createdAt.toISOString(),
  };
}
