import { Body, Controller, Get, Put, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import { type SettingsBody, settingsBodySchema, type SettingsView } from '@parley/protocol';
import { JwtAuthGuard } from './auth.guards';
import type { AuthenticatedPrincipal } from './jwt.strategy';
import { CurrentUser } from './request-context';
import { SettingsService } from './settings.service';

/** `GET` and `PUT /v1/settings`: one's own settings. Thin: validate, call the service. */
@Controller('v1/settings')
@UseGuards(JwtAuthGuard)
export class SettingsController {
  constructor(private readonly settings: SettingsService) {}

  @Get()
  get(@CurrentUser() principal: AuthenticatedPrincipal): Promise<SettingsView> {
    return this.settings.of(principal.userId);
  }

  @Put()
  change(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Body(new ZodValidationPipe(settingsBodySchema)) body: SettingsBody,
  ): Promise<SettingsView> {
    return this.settings.change(principal.userId, body);
  }
}
