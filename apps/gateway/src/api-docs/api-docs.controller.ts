import { Controller, Get, Inject } from '@nestjs/common';

/** The OpenAPI document the gateway serves: built once, when the module starts. */
export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');

/** `GET /v1/openapi.json`: the client HTTP API's OpenAPI document (from HTTP_ROUTES). Public. */
@Controller('v1')
export class ApiDocsController {
  constructor(@Inject(OPENAPI_DOCUMENT) private readonly document: Record<string, unknown>) {}

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }
}
