import { execFileSync } from "node:child_process";
import {
  createReadStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Container, V1Job, V1PodSpec } from "@kubernetes/client-node";
import { Job } from "kubernetes-models/batch/v1/Job";
import { restrictedProblems } from "../../constructs/private/pod-security";
import {
  DEFAULT_MIGRATION_UID,
  MIGRATION_CONTAINER,
  MIGRATION_VERSION_ANNOTATION,
  migrationJob,
  migrationJobName,
  PGPASS_PATH,
  TOKEN_CONTAINER,
  tokenScript,
  type MigrationJobInput,
} from "../../release/migrations/job";

const TOKEN_IMAGE = `public.ecr.aws/aws-cli/aws-cli:2.27.50@sha256:${"a1".repeat(32)}`;

const input = (overrides: Partial<MigrationJobInput> = {}): MigrationJobInput => ({
  environment: "staging",
  app: "web",
  namespace: "web",
  version: "6.8.0",
  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:6.8.0",
  command: ["npm", "run", "migrate"],
  database: { host: "staging-db.abc123.eu-west-1.rds.amazonaws.com", port: 5432, name: "web" },
  deadlineSeconds: 900,
  serviceAccountName: "web-migrator",
  tokenImage: TOKEN_IMAGE,
  region: "eu-west-1",
  ...overrides,
});

const podSpec = (job: V1Job): V1PodSpec => job.spec!.template.spec!;
const container = (job: V1Job, name: string): V1Container => {
  const spec = podSpec(job);
  const found = [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
};
const env = (c: V1Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("migrationJobName", () => {
  test("a plain version: dots become dashes", () => {
    expect(migrationJobName("web", "6.8.0")).toBe("web-migrate-6-8-0");
  });

  test("build metadata, underscores and capitals become a DNS-1123 label", () => {
    expect(migrationJobName("web", "1.2.3+build.7")).toBe("web-migrate-1-2-3-build-7");
    expect(migrationJobName("web", "V2_RC1")).toBe("web-migrate-v2-rc1");
    // a label must end with an alphanumeric character
    expect(migrationJobName("web", "1.0+")).toBe("web-migrate-1-0");
  });

  test("a 70-character version: 63 characters ending in a hash of the full name", () => {
    const version = `1.0.0-${"a".repeat(64)}`;
    expect(version).toHaveLength(70);
    const name = migrationJobName("web", version);
    expect(name).toHaveLength(63);
    expect(name).toMatch(DNS_LABEL);
    expect(name).toMatch(/^web-migrate-1-0-0-a+-[0-9a-f]{8}$/);
    // deterministic: the same version always names the same Job
    expect(migrationJobName("web", version)).toBe(name);
  });

  test("two long versions that share the kept prefix get different names", () => {
    const a = migrationJobName("web", `2.0.0-${"x".repeat(60)}.1`);
    const b = migrationJobName("web", `2.0.0-${"x".repeat(60)}.2`);
    expect(a).not.toBe(b);
    expect(a.slice(0, 54)).toBe(b.slice(0, 54));
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS_LABEL);
    }
  });

  test("a truncation that lands on a dash still ends in an alphanumeric before the hash", () => {
    // the cut at 54 characters falls inside a run of dashes
    const version = `${"1".repeat(40)}.${"+".repeat(20)}9`;
    const name = migrationJobName("web", version);
    expect(name).toMatch(DNS_LABEL);
    expect(name).not.toMatch(/--[0-9a-f]{8}$/);
  });
});

describe("migrationJob", () => {
  test("validates against the Kubernetes batch/v1 Job schema", () => {
    for (const version of ["6.8.0", "1.2.3+build.7", `1.0.0-${"a".repeat(64)}`]) {
      const job = migrationJob(input({ version }));
      expect(() => new Job(job as never).validate()).not.toThrow();
    }
  });

  test("the schema check can fail: a broken Job does not validate", () => {
    const job = migrationJob(input());
    const broken = { ...job, spec: { ...job.spec!, backoffLimit: "none" } };
    expect(() => new Job(broken as never).validate()).toThrow(/backoffLimit/);
  });

  test("metadata: name, namespace, labels and the unsanitized version", () => {
    const job = migrationJob(input({ version: "1.2.3+build.7" }));
    expect(job.apiVersion).toBe("batch/v1");
    expect(job.kind).toBe("Job");
    expect(job.metadata).toEqual({
      name: "web-migrate-1-2-3-build-7",
      namespace: "web",
      labels: {
        "app.kubernetes.io/name": "web",
        "app.kubernetes.io/component": "migration",
        "app.kubernetes.io/managed-by": "platform-release",
      },
      annotations: {
        [MIGRATION_VERSION_ANNOTATION]: "1.2.3+build.7",
        "platform-release/environment": "staging",
      },
    });
    // the pods carry the same labels (selected by name and component)
    expect(job.spec!.template.metadata!.labels).toEqual(job.metadata!.labels);
  });

  test("Job spec: no retry, the deadline, kept after it finishes", () => {
    const spec = migrationJob(input({ deadlineSeconds: 600 })).spec!;
    expect(spec.backoffLimit).toBe(0);
    expect(spec.activeDeadlineSeconds).toBe(600);
    expect(spec.completions).toBe(1);
    expect(spec.parallelism).toBe(1);
    // the finished Job is the record that this version's migration succeeded
    expect(spec).not.toHaveProperty("ttlSecondsAfterFinished");
    expect(spec.template.spec!.restartPolicy).toBe("Never");
  });

  test("pod: the migrator service account, no Kubernetes API token, no service links", () => {
    const spec = podSpec(migrationJob(input()));
    expect(spec.serviceAccountName).toBe("web-migrator");
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.enableServiceLinks).toBe(false);
    expect(spec.initContainers!.map((c) => c.name)).toEqual([TOKEN_CONTAINER]);
    expect(spec.containers.map((c) => c.name)).toEqual([MIGRATION_CONTAINER]);
  });

  test("token init container: the pinned AWS CLI generates an IAM auth token for <app>_migrator", () => {
    const token = container(migrationJob(input()), TOKEN_CONTAINER);
    expect(token.image).toBe(TOKEN_IMAGE);
    expect(token.command).toEqual(["/bin/sh", "-c", tokenScript()]);
    expect(tokenScript()).toContain(
      'aws rds generate-db-auth-token --hostname "$PGHOST" --port "$PGPORT" --username "$PGUSER" --region "$AWS_REGION"',
    );
    expect(env(token)).toEqual({
      PGHOST: "staging-db.abc123.eu-west-1.rds.amazonaws.com",
      PGPORT: "5432",
      PGDATABASE: "web",
      PGUSER: "web_migrator",
      PGPASSFILE: PGPASS_PATH,
      AWS_REGION: "eu-west-1",
      HOME: "/tmp",
    });
    expect(token.volumeMounts).toEqual([
      { name: "pg", mountPath: "/run/pg" },
      { name: "tmp", mountPath: "/tmp" },
    ]);
  });

  test("migration container: the image, the command and the libpq environment, no password", () => {
    const job = migrationJob(input({ version: "1.2.3+build.7" }));
    const migrate = container(job, MIGRATION_CONTAINER);
    expect(migrate.image).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:6.8.0");
    expect(migrate.command).toEqual(["npm", "run", "migrate"]);
    expect(migrate.args).toBeUndefined();
    expect(env(migrate)).toEqual({
      PGHOST: "staging-db.abc123.eu-west-1.rds.amazonaws.com",
      PGPORT: "5432",
      PGDATABASE: "web",
      PGUSER: "web_migrator",
      PGSSLMODE: "require",
      PGPASSFILE: "/run/pg/pgpass",
      MIGRATION_VERSION: "1.2.3+build.7",
      HOME: "/tmp",
    });
    expect(migrate.volumeMounts).toEqual([
      { name: "pg", mountPath: "/run/pg", readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ]);
    // nothing that looks like a password, anywhere in the Job
    const text = JSON.stringify(job);
    expect(text).not.toMatch(/PGPASSWORD|secretKeyRef|"password"/i);
  });

  test("volumes: the pgpass file lives in memory; /tmp is a bounded emptyDir", () => {
    expect(podSpec(migrationJob(input())).volumes).toEqual([
      { name: "pg", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
      { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
    ]);
  });

  test("resources: requests and limits on both containers; the migration's can be set", () => {
    const job = migrationJob(input());
    for (const name of [TOKEN_CONTAINER, MIGRATION_CONTAINER]) {
      const { requests, limits } = container(job, name).resources!;
      expect(Object.keys(requests!).sort()).toEqual(["cpu", "memory"]);
      expect(Object.keys(limits!).sort()).toEqual(["cpu", "memory"]);
    }
    const custom = {
      requests: { cpu: "500m", memory: "1Gi" },
      limits: { cpu: "2", memory: "2Gi" },
    };
    expect(
      container(migrationJob(input({ resources: custom })), MIGRATION_CONTAINER).resources,
    ).toEqual(custom);
  });

  test("read-only root filesystems by default; the migration image may opt out", () => {
    const job = migrationJob(input());
    expect(container(job, TOKEN_CONTAINER).securityContext!.readOnlyRootFilesystem).toBe(true);
    expect(container(job, MIGRATION_CONTAINER).securityContext!.readOnlyRootFilesystem).toBe(true);
    const writable = migrationJob(input({ readOnlyRootFilesystem: false }));
    expect(container(writable, MIGRATION_CONTAINER).securityContext!.readOnlyRootFilesystem).toBe(
      false,
    );
    expect(container(writable, TOKEN_CONTAINER).securityContext!.readOnlyRootFilesystem).toBe(true);
  });

  test("every container passes the Pod Security restricted checks the app namespaces enforce", () => {
    const job = migrationJob(input());
    const spec = podSpec(job);
    expect(spec.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: DEFAULT_MIGRATION_UID,
      runAsGroup: DEFAULT_MIGRATION_UID,
      fsGroup: DEFAULT_MIGRATION_UID,
      seccompProfile: { type: "RuntimeDefault" },
    });
    for (const c of [...spec.initContainers!, ...spec.containers]) {
      expect(restrictedProblems(c.securityContext, spec.securityContext)).toEqual([]);
    }
    expect(upstreamRestrictedViolations(spec)).toEqual([]);
  });

  test("the upstream restricted check can fail (a root, privileged, hostPath pod)", () => {
    const spec = podSpec(migrationJob(input({ runAsUser: 1000 })));
    const bad: V1PodSpec = {
      ...spec,
      hostNetwork: true,
      securityContext: { ...spec.securityContext, runAsUser: 0 },
      volumes: [...spec.volumes!, { name: "host", hostPath: { path: "/" } }],
      containers: [
        {
          ...spec.containers[0],
          securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] } },
        },
      ],
    };
    expect(upstreamRestrictedViolations(bad)).toEqual([
      "hostNetwork",
      "volume host is hostPath",
      "migrate: privileged",
      "migrate: allowPrivilegeEscalation",
      "migrate: capabilities",
      "runAsUser 0",
    ]);
  });

  test("one error names every invalid input", () => {
    expect(() =>
      migrationJob(
        input({
          app: "Web",
          tokenImage: "amazon/aws-cli:latest",
          database: { host: "db", port: 70000, name: "web" },
          deadlineSeconds: 0,
          command: [],
        }),
      ),
    ).toThrow(
      'Cannot render the migration Job of Web 6.8.0: app "Web" is not a DNS-1123 label of at most 40 characters; command must be a non-empty list of non-empty strings; database.port 70000 is not a TCP port; deadlineSeconds 0 is not a positive whole number; tokenImage "amazon/aws-cli:latest" is not pinned by tag (repository:tag, not latest, optionally @sha256:<64 hex>)',
    );
  });
});

describe("the token script", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "migration-token-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("runs aws with the flags and writes one pgpass line libpq accepts (0600, ':' escaped)", async () => {
    // a stand-in for the AWS CLI: records its arguments, prints a token shaped like RDS's
    const token =
      "db.example:5432/?Action=connect&DBUser=web_migrator&X-Amz-Credential=AKIA%2F20250101&X-Amz-Signature=ab\\cd";
    writeFileSync(
      join(dir, "aws"),
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\nprintf '%s\\n' '${token}'\n`,
      { mode: 0o755 },
    );
    const passfile = join(dir, "pgpass");
    const script = tokenScript();
    const output = execFileSync("/bin/sh", ["-c", script], {
      env: {
        PATH: `${dir}:/usr/bin:/bin`,
        PGHOST: "db.example",
        PGPORT: "5432",
        PGDATABASE: "web",
        PGUSER: "web_migrator",
        AWS_REGION: "eu-west-1",
        PGPASSFILE: passfile,
      },
      encoding: "utf8",
    });
    expect(output).toContain("wrote a pgpass line for web_migrator@db.example:5432/web");
    expect(readFileSync(join(dir, "args"), "utf8").trim().split("\n")).toEqual([
      "rds",
      "generate-db-auth-token",
      "--hostname",
      "db.example",
      "--port",
      "5432",
      "--username",
      "web_migrator",
      "--region",
      "eu-west-1",
    ]);
    expect(readFileSync(passfile, "utf8")).toBe(
      `db.example:5432:web:web_migrator:${token.replace(/\\/g, "\\\\").replace(/:/g, "\\:")}\n`,
    );
    expect(statSync(passfile).mode & 0o777).toBe(0o600);

    // the pgpass reader of node-postgres (libpq's rules) finds the token as the password
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const helper = require("pgpass/lib/helper.js") as {
      usePgPass(stats: unknown, file: string): boolean;
      getPassword(conn: object, stream: NodeJS.ReadableStream, cb: (p?: string) => void): void;
    };
    expect(helper.usePgPass(statSync(passfile), passfile)).toBe(true);
    const password = await new Promise<string | undefined>((resolve) =>
      helper.getPassword(
        { host: "db.example", port: 5432, database: "web", user: "web_migrator" },
        createReadStream(passfile),
        resolve,
      ),
    );
    expect(password).toBe(token);
  });

  test("a failing aws stops the script and writes nothing", () => {
    writeFileSync(join(dir, "aws"), "#!/bin/sh\necho 'AccessDenied' >&2\nexit 254\n", {
      mode: 0o755,
    });
    const passfile = join(dir, "pgpass");
    expect(() =>
      execFileSync("/bin/sh", ["-c", tokenScript()], {
        env: {
          PATH: `${dir}:/usr/bin:/bin`,
          PGHOST: "db",
          PGPORT: "5432",
          PGDATABASE: "web",
          PGUSER: "web_migrator",
          AWS_REGION: "eu-west-1",
          PGPASSFILE: passfile,
        },
        stdio: "pipe",
      }),
    ).toThrow();
    expect(() => statSync(passfile)).toThrow();
  });
});

/**
 * The pod-level and container-level controls of the upstream `restricted` standard
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/, v1.32) that
 * restrictedProblems does not cover: host namespaces, host ports, volume types, privileged,
 * capabilities, /proc mount, sysctls, SELinux and AppArmor, and root users.
 */
function upstreamRestrictedViolations(spec: V1PodSpec): string[] {
  const problems: string[] = [];
  if (spec.hostNetwork) problems.push("hostNetwork");
  if (spec.hostPID) problems.push("hostPID");
  if (spec.hostIPC) problems.push("hostIPC");
  const allowedVolumes = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
  ];
  for (const volume of spec.volumes ?? []) {
    for (const key of Object.keys(volume)) {
      if (key !== "name" && !allowedVolumes.includes(key)) {
        problems.push(`volume ${volume.name} is ${key}`);
      }
    }
  }
  const pod = spec.securityContext ?? {};
  for (const sysctl of pod.sysctls ?? []) {
    const safe = [
      "kernel.shm_rmid_forced",
      "net.ipv4.ip_local_port_range",
      "net.ipv4.ip_unprivileged_port_start",
      "net.ipv4.tcp_syncookies",
      "net.ipv4.ping_group_range",
      "net.ipv4.ip_local_reserved_ports",
      "net.ipv4.tcp_keepalive_time",
      "net.ipv4.tcp_fin_timeout",
      "net.ipv4.tcp_keepalive_intvl",
      "net.ipv4.tcp_keepalive_probes",
    ];
    if (!safe.includes(sysctl.name)) problems.push(`sysctl ${sysctl.name}`);
  }
  const selinuxOk = (type?: string) =>
    type === undefined ||
    ["container_t", "container_init_t", "container_kvm_t", "container_engine_t"].includes(type);
  if (!selinuxOk(pod.seLinuxOptions?.type)) problems.push("seLinuxOptions.type");
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const sc = c.securityContext ?? {};
    for (const port of c.ports ?? []) if (port.hostPort) problems.push(`${c.name}: hostPort`);
    if (sc.privileged) problems.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allowPrivilegeEscalation`);
    const drop = sc.capabilities?.drop ?? [];
    const add = sc.capabilities?.add ?? [];
    if (!drop.includes("ALL") || add.some((cap) => cap !== "NET_BIND_SERVICE")) {
      problems.push(`${c.name}: capabilities`);
    }
    if (sc.procMount && sc.procMount !== "Default") problems.push(`${c.name}: procMount`);
    if (!selinuxOk(sc.seLinuxOptions?.type)) problems.push(`${c.name}: seLinuxOptions.type`);
    const appArmor = sc.appArmorProfile?.type ?? pod.appArmorProfile?.type;
    if (appArmor === "Unconfined") problems.push(`${c.name}: appArmorProfile`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${c.name}: runAsNonRoot`);
    if (sc.runAsUser === 0) problems.push(`${c.name}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
      problems.push(`${c.name}: seccomp`);
  }
  if (pod.runAsUser === 0) problems.push("runAsUser 0");
  return problems;
}
