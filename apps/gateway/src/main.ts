import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { bootstrapService, exitOnStartupError, httpServerLimits } from '@parley/common';
import type { NextFunction, Request, Response } from 'express';
import { createAppModule, GATEWAY_SERVICE } from './app.module';
import { loadGatewayConfig } from './config/gateway.config';
import { GatewayHeartbeatService } from './heartbeat/gateway-heartbeat.service';
import { serveWebApp } from './web/web-app';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const app = await bootstrapService(createAppModule(config), {
    service: GATEWAY_SERVICE,
    host: config.HOST,
    port: config.PORT,
    http: httpServerLimits(config),
    configure: (nest) => {
      // Which peers may set X-Forwarded-For: req.ip (the throttled client address) follows it.
      (nest as NestExpressApplication).set('trust proxy', trustProxy(config.TRUST_PROXY));
      // Answers carry tokens, tickets and private messages: no cache keeps a copy.
      nest.use((_req: Request, res: Response, next: NextFunction) => {
        res.setHeader('Cache-Control', 'no-store');
        next();
      });
      // The web client, from this same origin (its build, if there is one).
      serveWebApp(nest as NestExpressApplication, config.WEB_ROOT);
    },
  });
  if (config.JWT_SECRET_EPHEMERAL) {
    new Logger('Bootstrap').warn(
      'JWT_SECRET is not set: using a random key for this process only (loopback development). ' +
        'Tokens will not work on other gateways or after a restart; scripts/stack.sh up sets one.',
    );
  }
  // Announce the gateway only once it accepts connections.
  app.get(GatewayHeartbeatService).start();
}

/** TRUST_PROXY: 'true'/'false', a hop count, or Express's names/CIDRs ('loopback', '10.0.0.0/8'). */
function trustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

main().catch((err: unknown) => exitOnStartupError(GATEWAY_SERVICE, err));
