import { App } from "cdktf";
import { loadEnvironments, type LoadedEnvironment } from "../config/load";
import { InfrastructureStack } from "./infrastructure-stack";
import { WorkloadsStack } from "./workloads-stack";

export interface PlatformAppOptions {
  /** Folder of environment files. @default PLATFORM_ENV_DIR, else `environments/` */
  readonly environmentDirectory?: string;
  /** Output folder. @default cdktf's default (`cdktf.out`, or the CLI's choice) */
  readonly outdir?: string;
  /** Offline plan mode. @default PLATFORM_OFFLINE=1 */
  readonly offline?: boolean;
}

/** Whether `PLATFORM_OFFLINE` asks for offline plan mode. */
export function offlineFromEnvironment(): boolean {
  return ["1", "true", "yes"].includes((process.env.PLATFORM_OFFLINE ?? "").toLowerCase());
}

/**
 * Builds the whole program: every environment file is validated first (one message for every
 * problem, nothing written), then each environment gets its stacks.
 */
export function buildApp(options: PlatformAppOptions = {}): {
  app: App;
  environments: LoadedEnvironment[];
  offline: boolean;
} {
  const environments = loadEnvironments(options.environmentDirectory);
  const offline = options.offline ?? offlineFromEnvironment();
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  for (const { config } of environments) {
    const infrastructure = new InfrastructureStack(app, `${config.name}-infrastructure`, {
      environment: config,
      offline,
    });
    new WorkloadsStack(app, `${config.name}-workloads`, {
      environment: config,
      offline,
      infrastructure,
    });
  }
  return { app, environments, offline };
}
