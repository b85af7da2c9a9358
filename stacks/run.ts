import { EnvironmentConfigError } from "../config/load";
import { ValidationError } from "../constructs/private/validation";
import { buildApp, type PlatformAppOptions } from "./app";

/**
 * Builds and synthesizes the app, then prints its warnings to stderr (they never fail synthesis).
 * A configuration or construct validation error prints its one complete message and exits 1
 * before any stack is written.
 */
export function runMain(options: PlatformAppOptions = {}): ReturnType<typeof buildApp> | undefined {
  try {
    const built = buildApp(options);
    built.app.synth();
    for (const warning of built.warnings) process.stderr.write(`${warning}\n`);
    return built;
  } catch (error) {
    if (error instanceof EnvironmentConfigError || error instanceof ValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return undefined;
    }
    throw error;
  }
}
