/**
 * The container-level checks of the Kubernetes Pod Security `restricted` standard
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/, policy version v1.32),
 * over the `securityContext` (container) and `podSecurityContext` (pod) Helm values that podinfo
 * and charts made with `helm create` render into their Deployment.
 */
import type { Problem } from "./validation";

type Context = Record<string, unknown>;

function asContext(value: unknown): Context {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Context)
    : {};
}

/**
 * Every way the container and pod security contexts fail `restricted`, field paths relative to
 * the values (`securityContext.runAsNonRoot`).
 */
export function restrictedProblems(
  securityContext: unknown,
  podSecurityContext: unknown = undefined,
): Problem[] {
  const container = asContext(securityContext);
  const pod = asContext(podSecurityContext);
  const problems: Problem[] = [];
  const add = (key: string, expected: string) =>
    problems.push({
      field: `securityContext.${key}`,
      received: container[key],
      expected: `${expected} (Pod Security "restricted", enforced on the app namespace)`,
    });

  if (container.privileged === true) add("privileged", "false or unset");
  if (container.allowPrivilegeEscalation !== false) add("allowPrivilegeEscalation", "false");
  const capabilities = asContext(container.capabilities);
  const drop = Array.isArray(capabilities.drop) ? capabilities.drop : [];
  const added = Array.isArray(capabilities.add) ? capabilities.add : [];
  if (!drop.includes("ALL") || added.some((c) => c !== "NET_BIND_SERVICE")) {
    problems.push({
      field: "securityContext.capabilities",
      received: container.capabilities,
      expected: `drop: [ALL], adding nothing but NET_BIND_SERVICE (Pod Security "restricted", enforced on the app namespace)`,
    });
  }
  const runAsNonRoot = container.runAsNonRoot ?? pod.runAsNonRoot;
  if (runAsNonRoot !== true) add("runAsNonRoot", "true");
  const runAsUser = container.runAsUser ?? pod.runAsUser;
  if (runAsUser === 0) add("runAsUser", "a non-zero UID");
  const seccomp = asContext(container.seccompProfile ?? pod.seccompProfile).type;
  if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
    problems.push({
      field: "securityContext.seccompProfile",
      received: container.seccompProfile,
      expected: `{ type: RuntimeDefault } (Pod Security "restricted", enforced on the app namespace)`,
    });
  }
  return problems;
}

/**
 * A container securityContext that passes `restricted` with a read-only root filesystem (the user
 * comes from the pod's context).
 */
export const RESTRICTED_CONTAINER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
} as const;

/** A pod securityContext that passes `restricted`: non-root as `uid`, RuntimeDefault seccomp. */
export function restrictedPodSecurityContext(uid: number): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}
