import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Put,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import type { Response } from 'express';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import {
  type ContactParams,
  contactParamsSchema,
  type ContactsAnswer,
  type UserSearchQuery,
  userSearchQuerySchema,
  type UsersAnswer,
} from '@parley/protocol';
import { ContactsService } from './contacts.service';

const contactParams = new ZodValidationPipe(contactParamsSchema);

/** `GET /v1/users?prefix=`: find people by username prefix (case-insensitive). */
@Controller('v1/users')
@UseGuards(JwtAuthGuard)
export class UsersController {
  constructor(private readonly contacts: ContactsService) {}

  @Get()
  async search(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Query(new ZodValidationPipe(userSearchQuerySchema)) query: UserSearchQuery,
  ): Promise<UsersAnswer> {
    return { users: await this.contacts.search(principal.userId, query.prefix, query.limit) };
  }
}

/** The caller's address book. */
@Controller('v1/contacts')
@UseGuards(JwtAuthGuard)
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get()
  async list(@CurrentUser() principal: AuthenticatedPrincipal): Promise<ContactsAnswer> {
    return { contacts: await this.contacts.list(principal.userId) };
  }

  /** 201 when added, 204 when it already was a contact. */
  @Put(':username')
  async add(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Param(contactParams) params: ContactParams,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    const added = await this.contacts.add(principal.userId, params.username);
    res.status(added ? 201 : 204);
  }

  @Delete(':username')
  @HttpCode(204)
  async remove(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Param(contactParams) params: ContactParams,
  ): Promise<void> {
    await this.contacts.remove(principal.userId, params.username);
  }
}
