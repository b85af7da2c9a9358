/**
 * The release harness: a blue/green environment played on loopback for the release tool's tests,
 * real HTTP and no mocks. It runs, all on 127.0.0.1:
 * - a podinfo-like server per colour of every app, serving the version last deployed to it;
 * - a fake ALB routing like the AWS Load Balancer Controller's rules for the live Ingress;
 * - a fake Kubernetes API server holding the apps' Ingresses (GET, PATCH, PUT);
 * - a recording deploy command (`deployCommand`) that plays `terraform apply` of the workloads
 *   stack: validates the environment file like a synth, rolls the colours, writes the Ingress and
 *   the Terraform state file with the stack's `app_<name>` outputs.
 * The harness is one cluster: use it with one environment at a time.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, extname, join } from "node:path";
import { parseEnvironment } from "../../../config/load";
import type { EnvironmentConfig } from "../../../config/schema";
import { formatProblem } from "../../../constructs/private/validation";
import { DEFAULT_SSL_POLICY } from "../../../constructs/blue-green-release";
import {
  COLOURS,
  colourWeights,
  otherColour,
  PREVIEW_ACTION_NAME,
  trafficAnnotations,
  WEIGHTED_ACTION_ANNOTATION,
  WEIGHTED_ACTION_NAME,
  type Colour,
} from "../../../constructs/private/traffic";
import { FakeAlb, type AlbRequest, type ReconcileError } from "./alb";
import { ColourServer, type Behaviour } from "./colours";
import {
  KubernetesApi,
  type Ingress,
  type KubeApiFailure,
  type KubeRequest,
} from "./kubernetes-api";

export type { AlbRequest, ReconcileError } from "./alb";
export type { Behaviour } from "./colours";
export type { Ingress, KubeApiFailure, KubeRequest } from "./kubernetes-api";

/** Where the harness reads and writes, and how the versions behave. */
export interface ReleaseHarnessOptions {
  /** Folder of `<env>.yaml` files the deploy command reads (the test's temp copy). */
  readonly environmentDirectory: string;
  /** Where `<stack>/<stack>.tfstate` is written (as `cdktf.out/stacks` offline). */
  readonly stateDirectory: string;
  /** Where each deploy's copy of the environment file goes, as `<NNN>-<stack>.yaml`. */
  readonly recordDirectory: string;
  /** Behaviour per version (every other version is `"healthy"`). */
  readonly behaviours?: Record<string, Behaviour>;
  /** Bearer token the fake Kubernetes API requires. @default "release-harness-token" */
  readonly token?: string;
}

/** One run of the deploy command. */
export interface DeployRecord {
  /** The `<NNN>` of the record file. */
  readonly seq: number;
  /** The stack deployed, e.g. `staging-workloads`. */
  readonly stack: string;
  /** When the harness received it (ISO 8601). */
  readonly time: string;
  /** The environment file's text, as deployed. */
  readonly file: string;
  /** Whether it applied (exit 0); a failed deploy applied nothing. */
  readonly ok: boolean;
  /** Whether an app's Ingress changed (what a plan would have shown for it). */
  readonly ingressChanged: boolean;
  /** The version each colour runs after the deploy, per app (empty when it failed). */
  readonly appliedVersions: Record<string, Record<Colour, string>>;
  /** What it printed on stderr when it failed. */
  readonly error?: string;
}

/** What a colour of an app runs, and where its server listens. */
export interface ColourStatus {
  readonly version?: string;
  /** `http://127.0.0.1:<port>`, while a process listens. */
  readonly url?: string;
  /** Requests it served since its version was deployed (or its behaviour set). */
  readonly requestCount: number;
}

/** A running harness. */
export interface ReleaseHarness {
  /** Base URL of the fake ALB; send the app's host in the `Host` header. */
  readonly albUrl: string;
  /** Base URL of the fake Kubernetes API server. */
  readonly kubeApiUrl: string;
  /** The bearer token the fake Kubernetes API accepts. */
  readonly token: string;
  /**
   * Shell command playing `cdktf deploy`: append the stack name and run it through a shell with
   * `PLATFORM_ENV_DIR` in its environment.
   */
  readonly deployCommand: string;
  /** Requests the fake ALB answered, in the order they finished. */
  requests(): AlbRequest[];
  /** Requests the fake Kubernetes API answered, oldest first. */
  kubeRequests(): KubeRequest[];
  /** Runs of the deploy command, oldest first (seeds are not listed). */
  deploys(): DeployRecord[];
  /** Ingress versions the fake ALB could not turn into rules (it kept the last good ones). */
  reconcileErrors(): ReconcileError[];
  /** Changes how a version behaves from now on (colours running it start counting again). */
  setBehaviour(version: string, behaviour: Behaviour): Promise<void>;
  /** Makes every Kubernetes API request fail (`true`: 503) or cut the connection, until `false`. */
  failKubeApi(mode: boolean | KubeApiFailure): void;
  /** Makes the next `count` deploys fail. */
  failDeploys(count: number): void;
  /** Makes every deploy fail until turned off. */
  failAllDeploys(on: boolean): void;
  /**
   * Applies the current environment file without the deploy command and without a record, so a
   * test starts from "deployed = file". The stack defaults to that of the only file in the folder.
   */
  seed(stack?: string): Promise<void>;
  /** The app's live Ingress, as the Kubernetes API holds it. */
  ingress(app: string): Ingress | undefined;
  /** The weights in the app's live weighted action. */
  weights(app: string): Record<Colour, number> | undefined;
  /** What a colour of an app runs. */
  colour(app: string, colour: Colour): ColourStatus;
  /** Path of a stack's state file. */
  statePath(stack: string): string;
  /** Closes every server and connection. */
  stop(): Promise<void>;
}

interface AppServers {
  readonly namespace: string;
  readonly servicePort: number;
  readonly colours: Record<Colour, ColourServer>;
}

interface Outcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ingressChanged: boolean;
  readonly appliedVersions: Record<string, Record<Colour, string>>;
}

const PREFIX = "alb.ingress.kubernetes.io";
const DEPLOY_SCRIPT = join(__dirname, "deploy.cjs");

/** Starts every server of the harness; call `stop()` when done. */
export async function startReleaseHarness(options: ReleaseHarnessOptions): Promise<ReleaseHarness> {
  const token = options.token ?? "release-harness-token";
  const behaviours = new Map(Object.entries(options.behaviours ?? {}));
  const behaviourOf = (version: string): Behaviour => behaviours.get(version) ?? "healthy";
  const apps = new Map<string, AppServers>();
  const deploys: DeployRecord[] = [];
  const applying = new Set<string>();
  const stateSerials = new Map<string, { serial: number; lineage: string; text: string }>();
  let failNext = 0;
  let failAll = false;

  const kube = new KubernetesApi(token);
  const alb = new FakeAlb(
    () => kube.list(),
    (namespace, serviceName) => {
      const match = /^(.+)-(blue|green)-alb$/.exec(serviceName);
      const app = match && apps.get(match[1]);
      return app && app.namespace === namespace
        ? { server: app.colours[match[2] as Colour], servicePort: app.servicePort }
        : undefined;
    },
  );
  kube.watch(() => alb.reconcile());
  const [kubeApiUrl, albUrl] = await Promise.all([kube.listen(), alb.listen()]);

  const statePath = (stack: string) => join(options.stateDirectory, stack, `${stack}.tfstate`);

  /** Plays `terraform apply` of `<env>-workloads` for the file's text. */
  async function apply(stack: string, text: string, injected: boolean): Promise<Outcome> {
    const failed = (message: string): Outcome => ({
      exitCode: 1,
      stdout: "",
      stderr: `╷\n│ Error: ${message}\n│\n│ (${stack}: nothing was applied)\n╵\n`,
      ingressChanged: false,
      appliedVersions: {},
    });
    const environment = /^(.+)-workloads$/.exec(stack)?.[1];
    if (!environment) return failed(`stack ${stack} not found`);
    if (injected) {
      return failed(
        `Kubernetes cluster unreachable: Get "${kubeApiUrl}/version": context deadline exceeded (injected by the release harness)`,
      );
    }
    const { config, problems } = parseEnvironment(text, environment);
    if (!config) {
      return failed(
        [`Invalid environment file ${environment}.yaml (synth failed):`]
          .concat(problems.map((p) => `│   ${formatProblem(p)}`))
          .join("\n"),
      );
    }
    if (applying.has(stack)) {
      return failed("Error acquiring the state lock: another deploy of this stack is running");
    }
    applying.add(stack);
    try {
      let added = 0;
      let changed = 0;
      let ingressChanged = false;
      const appliedVersions: Record<string, Record<Colour, string>> = {};
      const outputs: Record<string, unknown> = {};
      for (const [name, app] of Object.entries(config.apps)) {
        let servers = apps.get(name);
        if (
          !servers ||
          servers.namespace !== app.namespace ||
          servers.servicePort !== app.servicePort
        ) {
          const colour = (c: Colour) =>
            servers?.colours[c] ?? new ColourServer(name, c, behaviourOf);
          const colours = { blue: colour("blue"), green: colour("green") };
          servers = { namespace: app.namespace, servicePort: app.servicePort, colours };
          apps.set(name, servers);
        }
        // the Ingress first: the colours' Helm releases depend on it
        const existed = kube.get(app.namespace, name) !== undefined;
        const ingressWritten = kube.write(app.namespace, name, (current) =>
          desiredIngress(config, name, current),
        );
        const hostname = loadBalancerHostname(config, name);
        kube.setLoadBalancerHostname(app.namespace, name, hostname);
        ingressChanged ||= ingressWritten;
        if (ingressWritten && existed) changed += 1;
        if (ingressWritten && !existed) added += 1;
        for (const colour of COLOURS) {
          const entry = app.release[colour];
          const server = servers.colours[colour];
          const installed = server.version !== undefined;
          const revision = JSON.stringify({ chart: entry.chart, values: entry.values });
          if (await server.deploy({ version: entry.version, revision })) {
            if (installed) changed += 1;
            else added += 1;
          }
        }
        appliedVersions[name] = {
          blue: app.release.blue.version,
          green: app.release.green.version,
        };
        outputs[`app_${name}`] = appOutput(config, name, hostname);
      }
      writeState(stack, outputs, added + changed > 0);
      return {
        exitCode: 0,
        stdout: `${stack}  Apply complete! Resources: ${added} added, ${changed} changed, 0 destroyed.\n`,
        stderr: "",
        ingressChanged,
        appliedVersions,
      };
    } finally {
      applying.delete(stack);
    }
  }

  /** Writes Terraform state v4 with the outputs; the serial moves when anything changed. */
  function writeState(stack: string, outputs: Record<string, unknown>, applied: boolean): void {
    const path = statePath(stack);
    let previous = stateSerials.get(stack);
    if (!previous && existsSync(path)) {
      const state = JSON.parse(readFileSync(path, "utf8"));
      previous = {
        serial: state.serial,
        lineage: state.lineage,
        text: JSON.stringify(state.outputs),
      };
    }
    const typed = Object.fromEntries(
      Object.entries(outputs)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => [key, { value: sortKeys(value), type: ctyType(value) }]),
    );
    const text = JSON.stringify(typed);
    if (previous && !applied && previous.text === text) return;
    const next = {
      serial: (previous?.serial ?? 0) + 1,
      lineage: previous?.lineage ?? randomUUID(),
      text,
    };
    stateSerials.set(stack, next);
    const state = {
      version: 4,
      terraform_version: "1.11.4",
      serial: next.serial,
      lineage: next.lineage,
      outputs: typed,
      resources: [],
      check_results: null,
    };
    mkdirSync(join(options.stateDirectory, stack), { recursive: true });
    writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  /** The deploy command's endpoint: `POST /deploy {seq, stack, file}`. */
  async function control(req: IncomingMessage): Promise<Outcome> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { seq, stack, file } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const time = new Date().toISOString();
    const injected = failAll || failNext > 0;
    if (!failAll && failNext > 0) failNext -= 1;
    const outcome = await apply(stack, file, injected);
    deploys.push({
      seq,
      stack,
      time,
      file,
      ok: outcome.exitCode === 0,
      ingressChanged: outcome.ingressChanged,
      appliedVersions: outcome.appliedVersions,
      ...(outcome.exitCode === 0 ? {} : { error: outcome.stderr }),
    });
    return outcome;
  }

  const controlServer: Server = createServer((req, res) => {
    control(req)
      .then(({ exitCode, stdout, stderr }) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ exitCode, stdout, stderr }));
      })
      .catch((error: Error) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ exitCode: 1, stdout: "", stderr: `harness: ${error.message}\n` }));
      });
  });
  await new Promise<void>((resolve) => controlServer.listen(0, "127.0.0.1", resolve));
  const controlUrl = `http://127.0.0.1:${(controlServer.address() as AddressInfo).port}`;
  mkdirSync(options.recordDirectory, { recursive: true });

  const app = (name: string) => {
    const servers = apps.get(name);
    if (!servers) throw new Error(`app ${name} was never deployed`);
    return servers;
  };

  return {
    albUrl,
    kubeApiUrl,
    token,
    deployCommand: [
      `RELEASE_HARNESS_URL=${quote(controlUrl)}`,
      `RELEASE_HARNESS_RECORDS=${quote(options.recordDirectory)}`,
      quote(process.execPath),
      quote(DEPLOY_SCRIPT),
    ].join(" "),
    requests: () => alb.requests(),
    kubeRequests: () => kube.requests(),
    deploys: () => [...deploys],
    reconcileErrors: () => alb.reconcileErrors(),
    async setBehaviour(version, behaviour) {
      behaviours.set(version, behaviour);
      const running = [...apps.values()].flatMap((a) => COLOURS.map((c) => a.colours[c]));
      await Promise.all(running.filter((s) => s.version === version).map((s) => s.restart()));
    },
    failKubeApi: (mode) => kube.fail(mode),
    failDeploys(count) {
      failNext = count;
    },
    failAllDeploys(on) {
      failAll = on;
    },
    async seed(stack) {
      if (!stack) {
        const files = readdirSync(options.environmentDirectory).filter(
          (f) => extname(f) === ".yaml",
        );
        if (files.length !== 1)
          throw new Error("seed: name the stack (the folder has several files)");
        stack = `${basename(files[0], ".yaml")}-workloads`;
      }
      const environment = stack.replace(/-workloads$/, "");
      const text = readFileSync(join(options.environmentDirectory, `${environment}.yaml`), "utf8");
      const outcome = await apply(stack, text, false);
      if (outcome.exitCode !== 0) throw new Error(`seed of ${stack} failed:\n${outcome.stderr}`);
    },
    ingress: (name) => kube.get(app(name).namespace, name),
    weights(name) {
      const text = kube.get(app(name).namespace, name)?.metadata.annotations?.[
        WEIGHTED_ACTION_ANNOTATION
      ];
      if (text === undefined) return undefined;
      const groups: { serviceName: string; weight?: number }[] =
        JSON.parse(text).forwardConfig?.targetGroups ?? [];
      const weightOf = (colour: Colour) =>
        groups.find((g) => g.serviceName === `${name}-${colour}-alb`)?.weight ?? 0;
      return { blue: weightOf("blue"), green: weightOf("green") };
    },
    colour(name, colour) {
      const server = app(name).colours[colour];
      const port = server.port;
      return {
        version: server.version,
        url: port === undefined ? undefined : `http://127.0.0.1:${port}`,
        requestCount: server.requestCount,
      };
    },
    statePath,
    async stop() {
      const closed = new Promise<void>((resolve) => controlServer.close(() => resolve()));
      controlServer.closeAllConnections();
      const colours = [...apps.values()].flatMap((a) => COLOURS.map((c) => a.colours[c]));
      await Promise.all([closed, alb.close(), kube.close(), ...colours.map((s) => s.close())]);
    },
  };
}

/**
 * The Ingress the BlueGreenRelease construct renders for an app (what `terraform apply` writes:
 * the whole annotation map and spec, so a patch it does not know of is reverted), on the live
 * object. `constructs/blue-green-release.ts` is the source; a test compares with its synth.
 */
function desiredIngress(config: EnvironmentConfig, name: string, current?: Ingress): Ingress {
  const app = config.apps[name];
  const backend = (action: string) => ({
    path: "/",
    pathType: "Prefix" as const,
    backend: { service: { name: action, port: { name: "use-annotation" } } },
  });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      ...current?.metadata,
      name,
      namespace: app.namespace,
      labels: { "app.kubernetes.io/part-of": name },
      annotations: {
        [`${PREFIX}/scheme`]: "internet-facing",
        [`${PREFIX}/target-type`]: "ip",
        [`${PREFIX}/listen-ports`]: JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
        [`${PREFIX}/ssl-redirect`]: "443",
        [`${PREFIX}/ssl-policy`]: app.sslPolicy ?? DEFAULT_SSL_POLICY,
        ...(app.certificateArn ? { [`${PREFIX}/certificate-arn`]: app.certificateArn } : {}),
        ...(config.dns ? { "external-dns.alpha.kubernetes.io/hostname": app.host } : {}),
        [`${PREFIX}/healthcheck-path`]: app.healthPath,
        [`${PREFIX}/load-balancer-attributes`]:
          "routing.http.drop_invalid_header_fields.enabled=true",
        ...trafficAnnotations(name, app.servicePort, app.release),
        [`${PREFIX}/conditions.${PREVIEW_ACTION_NAME}`]: JSON.stringify([
          {
            field: "http-header",
            httpHeaderConfig: {
              httpHeaderName: app.preview?.header ?? "X-Preview",
              values: [app.preview?.value ?? "true"],
            },
          },
        ]),
      },
    },
    spec: {
      ingressClassName: "alb",
      tls: [{ hosts: [app.host] }],
      rules: [
        {
          host: app.host,
          http: { paths: [backend(PREVIEW_ACTION_NAME), backend(WEIGHTED_ACTION_NAME)] },
        },
      ],
    },
  };
}

/** The `app_<name>` output of `stacks/workloads-stack.ts`. */
function appOutput(
  config: EnvironmentConfig,
  name: string,
  hostname: string,
): Record<string, unknown> {
  const app = config.apps[name];
  return {
    host: app.host,
    namespace: app.namespace,
    stable_colour: app.release.stable,
    idle_colour: otherColour(app.release.stable),
    weights: colourWeights(app.release),
    versions: { blue: app.release.blue.version, green: app.release.green.version },
    release_names: { blue: `${name}-blue`, green: `${name}-green` },
    service_names: { blue: `${name}-blue-alb`, green: `${name}-green-alb` },
    preview: {
      host: app.host,
      header: app.preview?.header ?? "X-Preview",
      value: app.preview?.value ?? "true",
    },
    load_balancer_hostname: hostname,
  };
}

/** A host name shaped like the controller's ALBs' (`k8s-<ns>-<name>-<hash>-<id>.<region>.elb...`). */
function loadBalancerHostname(config: EnvironmentConfig, name: string): string {
  const namespace = config.apps[name].namespace;
  const hash = createHash("sha256").update(`${config.name}/${namespace}/${name}`).digest("hex");
  const id = parseInt(hash.slice(10, 18), 16);
  return `k8s-${namespace}-${name}-${hash.slice(0, 10)}-${id}.${config.region}.elb.amazonaws.com`;
}

/** A value's Terraform (cty) type, as state files write it. */
function ctyType(value: unknown): unknown {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return ["tuple", value.map(ctyType)];
  if (value !== null && typeof value === "object") {
    return [
      "object",
      sortKeys(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ctyType(v)]))),
    ];
  }
  return "dynamic";
}

/** Object keys in order, as Terraform writes object values. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A word the shell passes through unchanged. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
