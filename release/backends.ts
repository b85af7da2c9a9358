/**
 * Where the lock, journal, deployed state and Kubernetes API come from. Offline
 * (`PLATFORM_OFFLINE=1`): files under `.release/` and the local state file of the offline
 * backend; migrations run locally against `PLATFORM_MIGRATION_DATABASE_URL` when it is set. Normal: the environment's state bucket and the EKS cluster, with the deploy role.
 * `PLATFORM_KUBE_API` (+ `PLATFORM_KUBE_TOKEN`, `PLATFORM_KUBE_CA_FILE`) points at another API
 * server in either mode.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EnvironmentConfig } from "../config/schema";
import { LocalDeployedState, LocalStackOutputs } from "./deployed-state";
import { FileJournal } from "./file-journal";
import { FileReleaseLock } from "./file-lock";
import { LocalMigrationRunner } from "./migrations/local-runner";
import { KubernetesMigrationRunner } from "./migrations/kubernetes-runner";
import { SNSClient } from "@aws-sdk/client-sns";
import { notifierFromConfig } from "./notify/notifier";
import { prometheusAt, prometheusThroughKubernetes } from "./prometheus";
import type { KubernetesAccess, PrometheusQuery, ReleaseBackends } from "./types";

/** Kubernetes access from `PLATFORM_KUBE_API`, when set. */
export function kubernetesAccessFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): KubernetesAccess | undefined {
  const server = env.PLATFORM_KUBE_API;
  if (!server) return undefined;
  const token = env.PLATFORM_KUBE_TOKEN ?? "";
  return {
    server,
    caPem: env.PLATFORM_KUBE_CA_FILE ? readFileSync(env.PLATFORM_KUBE_CA_FILE, "utf8") : undefined,
    token: async () => token,
  };
}

/** The database's address and port from the infrastructure stack's outputs. */
export function databaseEndpoint(
  outputs: Record<string, unknown>,
  location: string,
): { host: string; port: number } {
  const endpoint = outputs.database_endpoint;
  const port = Number(outputs.database_port);
  if (typeof endpoint !== "string" || !Number.isInteger(port)) {
    throw new Error(
      `${location}: database_endpoint and database_port: received ${JSON.stringify({ endpoint, port: outputs.database_port })}; expected the infrastructure stack's outputs (deploy it first)`,
    );
  }
  return { host: endpoint.replace(/:\d+$/, ""), port };
}

/** The offline backends, rooted at `cwd` (the project folder). */
export function offlineReleaseBackends(
  env: Pick<EnvironmentConfig, "name">,
  app: string,
  cwd: string,
): ReleaseBackends {
  const stack = `${env.name}-workloads`;
  const infrastructure = `${env.name}-infrastructure`;
  const kubernetes = kubernetesAccessFromEnv();
  return {
    lock: new FileReleaseLock(join(cwd, ".release", `${env.name}-${app}.lock`)),
    journal: new FileJournal(join(cwd, ".release", `${env.name}-${app}.jsonl`)),
    deployedState: new LocalDeployedState(
      join(cwd, "cdktf.out", "stacks", stack, `${stack}.tfstate`),
    ),
    infrastructure: new LocalStackOutputs(
      join(cwd, "cdktf.out", "stacks", infrastructure, `${infrastructure}.tfstate`),
    ),
    kubernetes: async () => kubernetes,
    ...(process.env.PLATFORM_MIGRATION_DATABASE_URL
      ? { migrations: new LocalMigrationRunner(process.env.PLATFORM_MIGRATION_DATABASE_URL, cwd) }
      : {}),
  };
}

/**
 * The environment's Prometheus: `prometheusUrl` when given, else the in-cluster
 * kube-prometheus-stack service through the Kubernetes API proxy (undefined without a cluster).
 */
export function prometheusFor(
  kubernetes: ReleaseBackends["kubernetes"],
  prometheusUrl?: string,
): () => Promise<PrometheusQuery | undefined> {
  if (prometheusUrl) {
    const direct = prometheusAt(prometheusUrl);
    return async () => direct;
  }
  return async () => {
    const access = await kubernetes();
    return access ? prometheusThroughKubernetes(access) : undefined;
  };
}

/** The backends of the mode asked for, with the environment's notifier. */
export async function releaseBackends(
  env: EnvironmentConfig,
  app: string,
  options: {
    readonly offline: boolean;
    readonly cwd: string;
    readonly prometheusUrl?: string;
    readonly report?: (line: string) => void;
    /** Build the notifier (resolving its secrets). @default true */
    readonly notify?: boolean;
  },
): Promise<ReleaseBackends> {
  const report = options.report ?? ((line: string) => void process.stderr.write(`${line}\n`));
  let backends: ReleaseBackends;
  let snsClient: (region: string) => SNSClient = (region) => new SNSClient({ region });
  if (options.offline) {
    backends = offlineReleaseBackends(env, app, options.cwd);
  } else {
    // loaded only in normal mode: the AWS SDK costs start-up time offline runs need not pay
    const [{ awsReleaseBackends }, { releaseAwsClients }] = await Promise.all([
      import("./aws/backends"),
      import("./aws/clients"),
    ]);
    const clients = releaseAwsClients(env);
    snsClient = (region) => new SNSClient({ region, credentials: clients.credentials });
    const aws = awsReleaseBackends(env, app, clients);
    const override = kubernetesAccessFromEnv();
    const kubernetes = override ? async () => override : aws.kubernetes;
    const infrastructure = aws.infrastructure;
    backends = {
      ...aws,
      kubernetes,
      migrations: new KubernetesMigrationRunner({
        kubernetes,
        region: env.region,
        database: async () => {
          if (!infrastructure) throw new Error("the infrastructure stack's outputs are unknown");
          return databaseEndpoint(await infrastructure.read(), infrastructure.location);
        },
      }),
    };
  }
  if (options.notify === false) {
    return { ...backends, prometheus: prometheusFor(backends.kubernetes, options.prometheusUrl) };
  }
  const alarmTopicArn =
    env.notifications && env.notifications.sns === true && !options.offline
      ? await backends.infrastructure
          ?.read()
          .then((outputs) => outputs.alarm_topic_arn as string | undefined)
          .catch((error: unknown) => {
            report(`notify: the alarm topic is unknown: ${(error as Error).message}`);
            return undefined;
          })
      : undefined;
  return {
    ...backends,
    prometheus: prometheusFor(backends.kubernetes, options.prometheusUrl),
    // a missing webhook secret throws here: the release is refused before any change
    notifier: notifierFromConfig(env.notifications, { alarmTopicArn, snsClient, report }),
  };
}
