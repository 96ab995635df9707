import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A registered account (table `users`, created by the CreateAccounts migration). */
@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Display form, as registered. */
  @Column({ type: 'text' })
  username!: string;

  /** Lower-cased username; unique index `users_username_key_uq`. */
  @Column({ name: 'username_key', type: 'text' })
  usernameKey!: string;

  /** Look-alike key (usernameSkeleton); a new username may not share one with an existing account. */
  @Column({ name: 'username_skeleton', type: 'text' })
  usernameSkeleton!: string;

  @Column({ type: 'text' })
  email!: string;

  /** Lower-cased email; unique index `users_email_key_uq`. */
  @Column({ name: 'email_key', type: 'text' })
  emailKey!: string;

  @Column({ name: 'real_name', type: 'text' })
  realName!: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  /** Read receipts on (the default): others see this user's read state, and it sees theirs. */
  @Column({ name: 'read_receipts', type: 'boolean', default: true })
  readReceipts!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
