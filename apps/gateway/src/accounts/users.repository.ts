import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, Repository } from 'typeorm';
import { UserEntity } from './user.entity';

export interface NewUser {
  username: string;
  usernameKey: string;
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

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.users = dataSource.getRepository(UserEntity);
  }

  /**
   * Inserts one user. Uniqueness is the database's job: a concurrent insert of the same username on
   * another gateway loses on the unique index, reported here as a conflict naming the field.
   */
  async create(user: NewUser): Promise<CreateUserResult> {
    try {
      const rows = await this.users
        .createQueryBuilder()
        .insert()
        .values(user)
        .returning('*')
        .execute();
      const raw = (rows.raw as Record<string, unknown>[])[0];
      return { ok: true, user: this.users.create(this.fromRaw(raw)) };
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
      email: raw.email as string,
      emailKey: raw.email_key as string,
      realName: raw.real_name as string,
      passwordHash: raw.password_hash as string,
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
