/**
 * The API documents, generated from the schemas (`@parley/common/api-docs`; deliberately not
 * re-exported from `@parley/common`, so services that do not serve them do not load them).
 */
export { buildOpenApiDocument } from './openapi';
export { buildAsyncApiDocument } from './asyncapi';
