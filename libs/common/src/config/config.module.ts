import { DynamicModule, Global, Module } from '@nestjs/common';

/** Injection token for the service's validated config object. */
export const APP_CONFIG = Symbol('APP_CONFIG');

@Global()
@Module({})
export class AppConfigModule {
  /** Provides an already-validated config (validated in main.ts before Nest starts). */
  static forRoot<T extends object>(config: T): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: Object.freeze(config) }],
      exports: [APP_CONFIG],
    };
  }
}
