import { DynamicModule, Global, Module } from '@nestjs/common';
import { FailpointsController } from './failpoints.controller';
import { FailpointsService, KILL_PROCESS, killThisProcess } from './failpoints.service';

export interface FailpointsOptions {
  /**
   * Serve POST /internal/failpoints/:name. Only under NODE_ENV=test: elsewhere the route does not
   * exist (404 like any unknown path), nothing can be armed and every hit() is a no-op.
   */
  armable: boolean;
}

/** FailpointsService for every module (the code paths call hit()), and its route in tests. */
@Global()
@Module({})
export class FailpointsModule {
  static forRoot(options: FailpointsOptions): DynamicModule {
    return {
      module: FailpointsModule,
      controllers: options.armable ? [FailpointsController] : [],
      providers: [FailpointsService, { provide: KILL_PROCESS, useValue: killThisProcess }],
      exports: [FailpointsService],
    };
  }
}
