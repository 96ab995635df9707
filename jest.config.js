/**
 * Jest: `unit` = specs beside the code (pure logic, fakes allowed); `db` = `*.db-spec.ts` beside
 * each repository, its SQL against a real PostgreSQL migrated by every service's migrations, or
 * its Redis commands and scripts against a real Redis (database 14; no Kafka, no services); `e2e` = test/ against the real stack.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@parley/(common|kafka|testing|protocol|client)$': '<rootDir>/libs/$1/src',
  '^@parley/(common|kafka|testing|protocol|client)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
module.exports = {
  // Global only (Jest ignores it per project): e2e tests wait on the real stack.
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      testMatch: [
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/tools/**/*.spec.ts',
      ],
    },
    {
      displayName: 'db',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      testMatch: [
        '<rootDir>/apps/**/*.db-spec.ts',
        '<rootDir>/libs/**/*.db-spec.ts',
        '<rootDir>/tools/**/*.db-spec.ts',
      ],
      globalSetup: '<rootDir>/test/db/global-setup.ts',
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
