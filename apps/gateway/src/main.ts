import type { NestExpressApplication } from '@nestjs/platform-express';
import { bootstrapService, exitOnStartupError } from '@parley/common';
import { createAppModule, GATEWAY_SERVICE } from './app.module';
import { loadGatewayConfig } from './config/gateway.config';
import { GatewayHeartbeatService } from './heartbeat/gateway-heartbeat.service';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const app = await bootstrapService(createAppModule(config), {
    service: GATEWAY_SERVICE,
    host: config.HOST,
    port: config.PORT,
    configure: (nest) => {
      // Which peers may set X-Forwarded-For: req.ip (the throttled client address) follows it.
      (nest as NestExpressApplication).set('trust proxy', trustProxy(config.TRUST_PROXY));
    },
  });
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
