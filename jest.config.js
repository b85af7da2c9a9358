/** Three projects: fast unit/synth tests, the package's consumer tests, and the slower offline Terraform suite. */
const transform = {
  "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }],
};

// the synth commands the suites run build no startup snapshot in the background (bin/snapshot.cjs);
// test/unit/synth-snapshot.test.ts turns it on for its own copies of the program
process.env.PLATFORM_SYNTH_SNAPSHOT ??= "0";

/** @type {import('jest').Config} */
module.exports = {
  // every core (Jest's default leaves one for itself: one worker on a 2-core CI machine); the
  // suites use free ports and temporary folders of their own, so they run side by side
  maxWorkers: "100%",
  projects: [
    {
      displayName: "unit",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      transform,
      testEnvironment: "node",
    },
    {
      // the packed tarball in fresh consumer projects (npm pack builds dist/ with tsc)
      displayName: "package",
      testMatch: ["<rootDir>/test/package/**/*.test.ts"],
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
