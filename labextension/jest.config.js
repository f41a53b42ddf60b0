/** Jest for the panel's pure helpers and hooks: ts-jest, jsdom, tests in test/. */
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts?(x)'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  // the pure modules and hooks import nothing from JupyterLab; a test that needs a JupyterLab
  // module mocks it explicitly
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json']
};
