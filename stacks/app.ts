import { dirname, resolve } from "node:path";
import { App } from "cdktf";
import { assumeDeployRoleFromEnvironment, environmentFlag } from "../config/credentials";
import { loadEnvironments, type LoadedEnvironment } from "../config/load";
import { formatEnvironmentWarnings } from "../config/warnings";
import { todayUtc } from "../constructs/kubernetes-versions";
import { InfrastructureStack } from "./infrastructure-stack";
import { WorkloadsStack } from "./workloads-stack";

/** Options of {@link buildApp}: where the environment files are, where to write, and the run mode. */
export interface PlatformAppOptions {
  /** Folder of environment files. @default PLATFORM_ENV_DIR, else `environments/` */
  readonly environmentDirectory?: string;
  /** Output folder. @default cdktf's default (`cdktf.out`, or the CLI's choice) */
  readonly outdir?: string;
  /** Offline plan mode. @default PLATFORM_OFFLINE=1 */
  readonly offline?: boolean;
  /** Whether the stacks assume the environments' deploy roles. @default true, unless PLATFORM_ASSUME_DEPLOY_ROLE is 0, false or no (config/credentials.ts) */
  readonly assumeDeployRole?: boolean;
  /**
   * The day (YYYY-MM-DD, UTC) the environments' support dates are checked against for warnings.
   * @default PLATFORM_TODAY, else the day of synthesis
   */
  readonly today?: string;
}

/** Whether `PLATFORM_OFFLINE` asks for offline plan mode. */
export function offlineFromEnvironment(): boolean {
  return environmentFlag("PLATFORM_OFFLINE", false);
}

/**
 * Builds the whole program: every environment file is validated first (one message for every
 * problem, nothing written), then each environment gets its stacks.
 */
export function buildApp(options: PlatformAppOptions = {}): {
  app: App;
  environments: LoadedEnvironment[];
  offline: boolean;
  /** Warnings about valid but ageing settings, one line each (`Warning: <file>: <field>: ...`). */
  warnings: string[];
} {
  const environments = loadEnvironments(options.environmentDirectory);
  const offline = options.offline ?? offlineFromEnvironment();
  const assumeDeployRole = options.assumeDeployRole ?? assumeDeployRoleFromEnvironment();
  const today = options.today ?? (process.env.PLATFORM_TODAY || todayUtc());
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  for (const { config, file } of environments) {
    const infrastructure = new InfrastructureStack(app, `${config.name}-infrastructure`, {
      environment: config,
      offline,
      assumeDeployRole,
      today,
    });
    new WorkloadsStack(app, `${config.name}-workloads`, {
      environment: config,
      offline,
      assumeDeployRole,
      infrastructure,
      environmentDirectory: dirname(resolve(file)),
    });
  }
  return { app, environments, offline, warnings: formatEnvironmentWarnings(environments, today) };
}
