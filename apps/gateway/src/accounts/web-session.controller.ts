import {
  CanActivate,
  Controller,
  ExecutionContext,
  HttpCode,
  Inject,
  Injectable,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { APP_CONFIG, AppException } from '@parley/common';
import {
  ErrorCode,
  REFRESH_COOKIE,
  REFRESH_COOKIE_PATH,
  WEB_CLIENT_HEADER,
  type TokenPair,
  type WebSessionAnswer,
} from '@parley/protocol';
import type { Request, Response } from 'express';
import type { GatewayConfig } from '../config/gateway.config';
import { AccountsService } from './accounts.service';
import { AccountsException } from './accounts.exception';
import { LocalAuthGuard } from './auth.guards';
import { AuthService } from './auth.service';
import { CorrelationId, CurrentUser } from './request-context';
import type { UserEntity } from './user.entity';

/**
 * The CSRF guard of the cookie routes: `X-Parley-Web: 1`. A page of another site cannot send a
 * custom header without a CORS preflight, and the gateway answers no preflight.
 */
@Injectable()
export class WebClientGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.headers[WEB_CLIENT_HEADER] === '1') return true;
    throw new AppException(
      ErrorCode.Forbidden,
      `Browser session routes need ${WEB_CLIENT_HEADER}: 1`,
    );
  }
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The browser's session, by cookie (`/v1/auth/web/*`): the refresh token lives in an HttpOnly,
 * SameSite=Strict cookie scoped to these routes (Secure when the request came over TLS), so no
 * page script can read it; the answer carries only the access token, kept in memory. A reload
 * resumes the session with `refresh`. Thin: the AuthService does the work.
 */
@Controller('v1/auth/web')
@UseGuards(WebClientGuard)
export class WebSessionController {
  constructor(
    private readonly auth: AuthService,
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'REFRESH_TOKEN_TTL_DAYS'>,
  ) {}

  @Post('login')
  @HttpCode(200)
  @UseGuards(LocalAuthGuard)
  async login(
    @CurrentUser() user: UserEntity,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CorrelationId() correlationId?: string,
  ): Promise<WebSessionAnswer> {
    const { refreshToken, user: view, ...access } = await this.auth.login(user, correlationId);
    this.setCookie(req, res, refreshToken);
    return { ...access, user: view };
  }

  @Post('refresh')
  @HttpCode(200)
  async refresh(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<WebSessionAnswer> {
    const token = cookieValue(req.headers.cookie, REFRESH_COOKIE);
    if (!token) throw AccountsException.invalidRefreshToken();
    try {
      const { pair, userId } = await this.auth.rotate(token);
      this.setCookie(req, res, pair.refreshToken);
      return { ...accessOf(pair), user: await this.accounts.getProfile(userId) };
    } catch (err) {
      // A cookie that no longer opens a session is dropped with the answer.
      if (err instanceof AccountsException) this.clearCookie(req, res);
      throw err;
    }
  }

  @Post('logout')
  @HttpCode(204)
  async logout(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CorrelationId() correlationId?: string,
  ): Promise<void> {
    const token = cookieValue(req.headers.cookie, REFRESH_COOKIE);
    if (token) await this.auth.logoutByRefreshToken(token, correlationId);
    this.clearCookie(req, res);
  }

  private setCookie(req: Request, res: Response, refreshToken: string): void {
    res.cookie(REFRESH_COOKIE, refreshToken, {
      ...this.cookieScope(req),
      maxAge: this.config.REFRESH_TOKEN_TTL_DAYS * 24 * 3600 * 1000,
    });
  }

  private clearCookie(req: Request, res: Response): void {
    res.clearCookie(REFRESH_COOKIE, this.cookieScope(req));
  }

  private cookieScope(req: Request) {
    return {
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: req.secure,
      path: REFRESH_COOKIE_PATH,
    };
  }
}

function accessOf(pair: TokenPair): Omit<WebSessionAnswer, 'user'> {
  return { accessToken: pair.accessToken, tokenType: pair.tokenType, expiresIn: pair.expiresIn };
}
