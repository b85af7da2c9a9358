/** Two projects: fast unit/synth tests, and the slower offline Terraform suite. */
const transform = {
  "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: "unit",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      transform,
      testEnvironment: "node",
    },
    {
      displayName: "terraform",
      testMatch: ["<rootDir>/test/terraform/**/*.test.ts"],
      transform,
      testEnvironment: "node",
    },
  ],
};
