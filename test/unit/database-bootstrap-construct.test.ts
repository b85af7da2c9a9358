/**
 * The DatabaseBootstrap construct in the shipped staging stacks (issue 16, section 3): the Job
 * that runs the bootstrap script (tested on a real PostgreSQL in database-bootstrap.test.ts) as
 * the RDS master user, the only reader of the master secret.
 */
import { Job } from "kubernetes-models/batch/v1/Job";
import { databaseBootstrapScript } from "../../constructs/private/database-bootstrap";
import { restrictedProblems } from "../../constructs/private/pod-security";
import { environmentStacks, resources, type StackJson } from "../helpers";

/** The database bootstrap's Job (the log store's bootstrap Job is in the stack too). */
function databaseJob(json: StackJson): Record<string, any> {
  const jobs = Object.values(resources(json, "kubernetes_job_v1")).filter((j: any) =>
    String(j.metadata.name).startsWith("database-bootstrap-"),
  );
  expect(jobs).toHaveLength(1);
  return jobs[0] as Record<string, any>;
}

/** The Job's HCL-shaped blocks (lists of one) turned into the Kubernetes object they render. */
function kubernetesJob(job: Record<string, any>): Record<string, any> {
  const pod = job.spec.template.spec;
  const container = pod.container[0];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: job.metadata.name, namespace: "platform", labels: job.metadata.labels },
    spec: {
      backoffLimit: job.spec.backoff_limit,
      activeDeadlineSeconds: job.spec.active_deadline_seconds,
      template: {
        metadata: { labels: job.spec.template.metadata.labels },
        spec: {
          restartPolicy: pod.restart_policy,
          automountServiceAccountToken: pod.automount_service_account_token,
          securityContext: {
            runAsNonRoot: pod.security_context.run_as_non_root,
            runAsUser: Number(pod.security_context.run_as_user),
            runAsGroup: Number(pod.security_context.run_as_group),
            seccompProfile: pod.security_context.seccomp_profile,
          },
          containers: [
            {
              name: container.name,
              image: container.image,
              command: container.command,
              env: container.env.map((e: any) =>
                e.value_from
                  ? {
                      name: e.name,
                      valueFrom: {
                        secretKeyRef: {
                          name: e.value_from.secret_key_ref.name,
                          key: e.value_from.secret_key_ref.key,
                        },
                      },
                    }
                  : { name: e.name, value: e.value },
              ),
              securityContext: {
                allowPrivilegeEscalation: container.security_context.allow_privilege_escalation,
                readOnlyRootFilesystem: container.security_context.read_only_root_filesystem,
                capabilities: container.security_context.capabilities,
              },
              resources: container.resources,
              volumeMounts: container.volume_mount.map((m: any) => ({
                name: m.name,
                mountPath: m.mount_path,
                ...(m.read_only ? { readOnly: true } : {}),
              })),
            },
          ],
          volumes: pod.volume.map((v: any) =>
            v.config_map
              ? { name: v.name, configMap: { name: v.config_map.name } }
              : {
                  name: v.name,
                  emptyDir: { medium: v.empty_dir.medium, sizeLimit: v.empty_dir.size_limit },
                },
          ),
        },
      },
    },
  };
}

describe("the database bootstrap", () => {
  const { infrastructure, workloads } = environmentStacks("staging", true);
  const job = databaseJob(workloads);
  const script = databaseBootstrapScript([{ app: "web", database: "web" }]);

  test("runs the bootstrap script of the environment's databases, from a ConfigMap", () => {
    const map = Object.values(resources(workloads, "kubernetes_config_map_v1")).find(
      (m: any) => m.metadata.name === job.metadata.name,
    ) as Record<string, any>;
    expect(map.data).toEqual({ "bootstrap.sql": script });
    expect(job.spec.template.spec.container[0].command).toEqual([
      "psql",
      "-v",
      "ON_ERROR_STOP=1",
      "-f",
      "/bootstrap/bootstrap.sql",
    ]);
  });

  test("is named after the script, so adding a database runs it again and nothing else does", () => {
    expect(job.metadata.name).toMatch(/^database-bootstrap-[0-9a-f]{10}$/);
    const again = environmentStacks("staging", true);
    expect(databaseJob(again.workloads).metadata.name).toBe(job.metadata.name);
    const more = environmentStacks("staging", true, (raw) => {
      raw.apps.api = {
        ...raw.apps.web,
        namespace: "api",
        host: "api.staging.example.com",
        database: { name: "api" },
        secrets: {},
      };
    });
    expect(databaseJob(more.workloads).metadata.name).not.toBe(job.metadata.name);
  });

  test("Terraform waits for it, and the app's colours wait for the bootstrap", () => {
    expect(job.wait_for_completion).toBe(true);
    expect(job.spec.active_deadline_seconds).toBe(600);
    expect(job.timeouts).toEqual({ create: "660s", update: "660s" });
    const jobRef = Object.keys(resources(workloads, "kubernetes_job_v1"))[0];
    for (const release of Object.values(resources(workloads, "helm_release")).filter((r) =>
      ["web-blue", "web-green"].includes(String(r.name)),
    )) {
      expect(release.depends_on).toContain(`kubernetes_job_v1.${jobRef}`);
    }
  });

  test("connects as the master user from the synced secret, TLS required, no password in the stack", () => {
    const env = Object.fromEntries(
      job.spec.template.spec.container[0].env.map((e: any) => [e.name, e.value ?? e.value_from]),
    );
    expect(env).toEqual({
      PGHOST: expect.stringContaining("address}"),
      PGPORT: "5432",
      PGDATABASE: "postgres",
      PGUSER: { secret_key_ref: { name: "database-master", key: "username" } },
      PGPASSWORD: { secret_key_ref: { name: "database-master", key: "password" } },
      PGSSLMODE: "require",
      PGCONNECT_TIMEOUT: "10",
      PGAPPNAME: job.metadata.name,
    });
  });

  test("the rendered Job is a valid batch/v1 Job that passes the restricted Pod Security Standard", () => {
    const object = kubernetesJob(job);
    expect(() => new Job(object as never).validate()).not.toThrow();
    const pod = object.spec.template.spec;
    expect(restrictedProblems(pod.containers[0].securityContext, pod.securityContext)).toEqual([]);
    expect(pod.containers[0].image).toBe("public.ecr.aws/docker/library/postgres:17.6-alpine3.22");
  });

  test("the master secret is synced into the platform namespace only, by a role that reads only it", () => {
    const namespaces = Object.values(resources(workloads, "kubernetes_namespace_v1")).map(
      (n: any) => n.metadata.name,
    );
    expect(namespaces).toContain("platform");
    const role = Object.values(resources(infrastructure, "aws_iam_role")).find(
      (r) => r.name === "staging-database-bootstrap",
    )!;
    expect(String(role.assume_role_policy)).toMatch(
      /:sub":"system:serviceaccount:platform:database-bootstrap"/,
    );
    const policy = Object.values(resources(infrastructure, "aws_iam_role_policy")).find((p) =>
      String(p.role).includes("irsa-platform-database-bootstrap"),
    )!;
    const statements = JSON.parse(String(policy.policy)).Statement;
    const secretResources = statements
      .filter((s: any) => [s.Action].flat().includes("secretsmanager:GetSecretValue"))
      .flatMap((s: any) => [s.Resource].flat());
    expect(secretResources).toEqual([
      expect.stringMatching(
        /^\$\{aws_db_instance\.database_instance_[0-9A-F]+\.master_user_secret\[0\]\.secret_arn\}$/,
      ),
    ]);
  });
});
