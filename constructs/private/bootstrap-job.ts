/** What the platform's one-shot bootstrap Jobs (databases, log store) share: checks and shape. */
import type { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import {
  JobV1,
  type JobV1SpecTemplateSpecContainerEnv,
  type JobV1SpecTemplateSpecContainerVolumeMount,
  type JobV1SpecTemplateSpecVolume,
} from "@cdktf/provider-kubernetes/lib/job-v1";
import { isToken, type ProblemList } from "./validation";

/** The Job settings a bootstrap construct takes. */
export interface BootstrapJobSettings {
  readonly timeoutSeconds?: number;
  readonly image?: string;
}

/**
 * Adds the problems of a bootstrap Job's `timeoutSeconds` (60-3600 s) and `image` (a pinned tag,
 * optionally a digest; never `latest`); `example` is an image the message names.
 */
export function bootstrapJobProblems(
  p: ProblemList,
  settings: BootstrapJobSettings,
  example: string,
): void {
  if (settings.timeoutSeconds !== undefined) {
    p.check(
      Number.isInteger(settings.timeoutSeconds) &&
        settings.timeoutSeconds >= 60 &&
        settings.timeoutSeconds <= 3600,
      "timeoutSeconds",
      settings.timeoutSeconds,
      "an integer number of seconds from 60 to 3600",
    );
  }
  if (settings.image !== undefined && !isToken(settings.image)) {
    p.check(
      /^[^\s:@]+(:[\w.-]+)(@sha256:[0-9a-f]{64})?$/.test(settings.image) &&
        !settings.image.endsWith(":latest"),
      "image",
      settings.image,
      `an image with a pinned tag (and optionally a digest), such as ${example}`,
    );
  }
}

/** What differs between the bootstrap Jobs. */
export interface BootstrapJobOptions {
  /** The Job's (and its script ConfigMap's) name. */
  readonly name: string;
  readonly namespace: string;
  /** Labels of the Job and its pod. */
  readonly labels: Record<string, string>;
  /** Deadline of one run; Terraform waits a minute longer. */
  readonly timeoutSeconds: number;
  /** Pods retried after a failure. */
  readonly backoffLimit: number;
  /** The non-root user and group the pod runs as (the image's own). */
  readonly uid: number;
  /** Its IRSA service account. @default the namespace's default, no token either way */
  readonly serviceAccountName?: string;
  /** The one container: name, image, command, environment and mounts. */
  readonly container: {
    readonly name: string;
    readonly image: string;
    readonly command: string[];
    readonly env: JobV1SpecTemplateSpecContainerEnv[];
    readonly volumeMount: JobV1SpecTemplateSpecContainerVolumeMount[];
  };
  readonly volume: JobV1SpecTemplateSpecVolume[];
  readonly dependsOn: ITerraformDependable[];
}

/**
 * A bootstrap Job (construct id `job`): restricted Pod Security (non-root, RuntimeDefault
 * seccomp, no privilege escalation, every capability dropped, read-only root filesystem), no
 * Kubernetes API token, small resources, and Terraform waiting for it to complete.
 */
export function bootstrapJob(scope: Construct, o: BootstrapJobOptions): JobV1 {
  return new JobV1(scope, "job", {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      backoffLimit: o.backoffLimit,
      activeDeadlineSeconds: o.timeoutSeconds,
      template: {
        metadata: { labels: o.labels },
        spec: {
          restartPolicy: "Never",
          ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
          // IRSA's web identity token is projected by the EKS pod identity webhook; the
          // Kubernetes API token is not needed
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: String(o.uid),
            runAsGroup: String(o.uid),
            seccompProfile: { type: "RuntimeDefault" },
          },
          container: [
            {
              ...o.container,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              resources: {
                requests: { cpu: "50m", memory: "64Mi" },
                limits: { cpu: "500m", memory: "128Mi" },
              },
            },
          ],
          volume: o.volume,
        },
      },
    },
    waitForCompletion: true,
    timeouts: { create: `${o.timeoutSeconds + 60}s`, update: `${o.timeoutSeconds + 60}s` },
    dependsOn: o.dependsOn,
  });
}
