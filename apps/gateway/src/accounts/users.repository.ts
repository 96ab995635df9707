import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, Repository } from 'typeorm';
import { UserEntity } from './user.entity';

export interface NewUser {
  username: string;
  usernameKey: string;
  usernameSkeleton: string;
  email: string;
  emailKey: string;
  realName: string;
  passwordHash: string;
}

export type CreateUserResult =
  { ok: true; user: UserEntity } | { ok: false; conflict: 'username' | 'email' };

/** Which field each unique index protects (names from the CreateAccounts migration). */
const CONFLICT_BY_CONSTRAINT: Record<string, 'username' | 'email'> = {
  users_username_key_uq: 'username',
  users_email_key_uq: 'email',
};

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersRepository {
  private readonly users: Repository<UserEntity>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.users = dataSource.getRepository(UserEntity);
  }

  /**
   * Inserts one user. Uniqueness is the database's job: a concurrent insert of the same username on
   * another gateway loses on the unique index, reported here as a conflict naming the field. A
   * username that LOOKS like an existing one (same skeleton) is a username conflict too; the
   * check and the insert run under a transaction-scoped advisory lock on the skeleton, so two
   * look-alikes registered at the same moment on two gateways cannot both win.
   */
  async create(user: NewUser): Promise<CreateUserResult> {
    try {
      return await this.dataSource.transaction(async (manager): Promise<CreateUserResult> => {
        await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `username-skeleton:${user.usernameSkeleton}`,
        ]);
        const lookalikes = await manager.query<unknown[]>(
          'SELECT 1 FROM users WHERE username_skeleton = $1 LIMIT 1',
          [user.usernameSkeleton],
        );
        if (lookalikes.length > 0) return { ok: false, conflict: 'username' };
        const rows = await manager
          .createQueryBuilder()
          .insert()
          .into(UserEntity)
          .values(user)
          .returning('*')
          .execute();
        const raw = (rows.raw as Record<string, unknown>[])[0];
        return { ok: true, user: this.users.create(this.fromRaw(raw)) };
      });
    } catch (err) {
      const conflict = uniqueViolationField(err);
      if (conflict) return { ok: false, conflict };
      throw err;
    }
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  findByUsernameKey(usernameKey: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ usernameKey });
  }

  private fromRaw(raw: Record<string, unknown>): Partial<UserEntity> {
    return {
      id: raw.id as string,
      username: raw.username as string,
      usernameKey: raw.username_key as string,
      usernameSkeleton: raw.username_skeleton as string,
      email: raw.email as string,
      emailKey: raw.email_key as string,
      realName: raw.real_name as string,
      passwordHash: raw.password_hash as string,
      readReceipts: raw.read_receipts as boolean,
      createdAt: raw.created_at as Date,
      updatedAt: raw.updated_at as Date,
    };
  }
}

/** The field a PostgreSQL unique violation (23505) is about, or undefined for any other error. */
export function uniqueViolationField(err: unknown): 'username' | 'email' | undefined {
  if (!(err instanceof QueryFailedError)) return undefined;
  const driverError = err.driverError as { code?: unknown; constraint?: unknown } | undefined;
  if (driverError?.code !== UNIQUE_VIOLATION || typeof driverError.constraint !== 'string') {
    return undefined;
  }
  return CONFLICT_BY_CONSTRAINT[driverError.constraint];
}
