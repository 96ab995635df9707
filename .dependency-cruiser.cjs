/**
 * Parley's architecture as checks (`npm run lint` runs `depcruise`): who may import whom. The map
 * with the reasons is in docs/ARCHITECTURE.md ("Folders and what they may import");
 * tools/boundaries/boundaries.spec.ts proves each rule catches a violation.
 */
const SPECS = '\\.(spec|e2e-spec|db-spec)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'app-imports-another-app',
      comment:
        'An app is deployed alone: it talks to other apps through Kafka, Redis and HTTP, never through their files. Shared code belongs in libs/.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'lib-imports-app',
      comment: 'Libraries serve apps; an app is never a dependency of a library.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'lib-imports-tool',
      comment: 'Tools use libraries, not the other way round.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^tools/' },
    },
    {
      name: 'client-imports-server-code',
      comment:
        'Clients (the terminal client, the web client, the load tool) speak the protocol through libs/protocol and libs/client only: never the server libraries (common, kafka), never an app or another tool.',
      severity: 'error',
      from: { path: '^(apps/(cli|web)|tools/loadtest)/', pathNot: SPECS },
      to: {
        path: '^(apps|libs|tools)/',
        pathNot: ['^libs/(protocol|client)/', '^apps/$2/', '^tools/loadtest/'],
      },
    },
    {
      name: 'protocol-stays-pure',
      comment:
        'libs/protocol runs in Node and in a browser and is imported by everything: it depends on zod alone (no Node built-ins, no NestJS, no other Parley code).',
      severity: 'error',
      from: { path: '^libs/protocol/', pathNot: SPECS },
      to: {
        pathNot: ['^libs/protocol/', '^node_modules/zod/'],
      },
    },
    {
      name: 'client-lib-is-browser-safe',
      comment:
        'libs/client runs unchanged in a browser: it imports libs/protocol, zod and @noble/hashes (pure-JS SHA-256); Node-only code (ws) lives in libs/client/src/node/ only.',
      severity: 'error',
      from: { path: '^libs/client/', pathNot: ['^libs/client/src/node/', SPECS] },
      to: {
        pathNot: ['^libs/(client|protocol)/', '^node_modules/zod/', '^node_modules/@noble/hashes/'],
      },
    },
    {
      name: 'browser-code-avoids-node-sockets',
      comment: 'Only Node programs may use libs/client/src/node/ (it imports ws).',
      severity: 'error',
      from: { path: '^(apps/web|libs/client/src/(?!node/))', pathNot: SPECS },
      to: { path: '^libs/client/src/node/' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make module start-up order (and Nest providers) fragile.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|\\.data|infra)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
