import { Module } from '@nestjs/common';
import { buildOpenApiDocument } from '@parley/common/api-docs';
import { ApiDocsController, OPENAPI_DOCUMENT } from './api-docs.controller';

/** Serves the OpenAPI document generated from the protocol's schemas (docs/api/openapi.json). */
@Module({
  controllers: [ApiDocsController],
  providers: [{ provide: OPENAPI_DOCUMENT, useFactory: buildOpenApiDocument }],
})
export class ApiDocsModule {}
