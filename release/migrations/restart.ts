/**
 * Restarting a colour on request (issue 16 section 2: after a secret rotation, environment
 * variables change only when pods restart): what `kubectl rollout restart` does, then what
 * `kubectl rollout status` waits for, through `@kubernetes/client-node`.
 */
import type { V1Deployment } from "@kubernetes/client-node";
import type { KubernetesAccess } from "../types";
import { connect, formatDuration, kubeCall, objectPath } from "./kube-client";

/** The pod template annotation `kubectl rollout restart` sets (its change rolls the pods). */
export const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";
/** The Deployment annotation `kubectl rollout history` shows as CHANGE-CAUSE. */
export const CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause";

/** How {@link restartDeployments} waits and reports. */
export interface RestartOptions {
  /** Give up waiting for the rollouts after this long; default 10 minutes. */
  readonly timeoutMs?: number;
  /** Time between two status polls; default 2000. */
  readonly pollIntervalMs?: number;
  /** Progress lines (patched, rollout status as it changes). */
  readonly progress?: (line: string) => void;
  /** The restart time (default: now). */
  readonly now?: () => Date;
}

/**
 * Where a Deployment's rollout stands, in `kubectl rollout status` terms: `done`, a sentence
 * saying what it waits for, or `failed` (the controller gave up: `ProgressDeadlineExceeded`).
 */
export function rolloutStatus(
  deployment: V1Deployment,
  generation: number,
): { readonly state: "done" | "waiting" | "failed"; readonly detail: string } {
  const name = deployment.metadata?.name ?? "?";
  const status = deployment.status ?? {};
  const observed = status.observedGeneration ?? 0;
  const wanted = Math.max(generation, deployment.metadata?.generation ?? 0);
  if (observed < wanted) {
    return { state: "waiting", detail: `${name}: waiting for the spec update to be observed` };
  }
  const progressing = status.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return {
      state: "failed",
      detail: `${name}: exceeded its progress deadline (${progressing.message ?? ""})`,
    };
  }
  const replicas = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const current = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < replicas) {
    return {
      state: "waiting",
      detail: `${name}: ${updated} of ${replicas} new replicas updated`,
    };
  }
  if (current > updated) {
    return {
      state: "waiting",
      detail: `${name}: ${current - updated} old replicas pending termination`,
    };
  }
  if (available < updated) {
    return {
      state: "waiting",
      detail: `${name}: ${available} of ${updated} updated replicas available`,
    };
  }
  return { state: "done", detail: `${name}: rolled out (${replicas} of ${replicas} available)` };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Restarts every Deployment of `namespace` matching `labelSelector` (e.g.
 * `app.kubernetes.io/name=web-blue`: one colour), like `kubectl rollout restart`: a strategic
 * merge patch of `spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]` to the
 * restart time, with `reason` as the Deployment's `kubernetes.io/change-cause`. Then waits until
 * each rollout is complete (observedGeneration ≥ generation, updatedReplicas = replicas, no old
 * replicas, availableReplicas = replicas) and returns the names restarted.
 *
 * Throws when nothing matches, when a matching Deployment is paused (nothing is patched then),
 * when a rollout exceeds its progress deadline, or when `timeoutMs` passes (naming what each
 * unfinished rollout waits for); API failures are `KubernetesApiError`s naming the request.
 */
export async function restartDeployments(
  access: KubernetesAccess,
  namespace: string,
  labelSelector: string,
  reason: string,
  options: RestartOptions = {},
): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? 10 * 60 * 1000;
  const pollMs = options.pollIntervalMs ?? 2000;
  const progress = options.progress ?? (() => undefined);
  const started = Date.now();
  const deploymentsPath = objectPath("/apis/apps/v1", namespace, "deployments");

  const clients = await connect(access);
  const list = await kubeCall("GET", `${deploymentsPath}?labelSelector=${labelSelector}`, (o) =>
    clients.apps.listNamespacedDeployment({ namespace, labelSelector }, o),
  );
  const deployments = list.items;
  if (deployments.length === 0) {
    throw new Error(
      `No Deployment in namespace ${namespace} matches ${labelSelector}: nothing was restarted`,
    );
  }
  const paused = deployments.filter((d) => d.spec?.paused).map((d) => d.metadata?.name);
  if (paused.length > 0) {
    throw new Error(
      `Cannot restart ${paused.join(", ")} in namespace ${namespace}: paused (kubectl -n ${namespace} rollout resume deployment/<name> first); nothing was restarted`,
    );
  }

  const restartedAt = (options.now ?? (() => new Date()))().toISOString();
  const generations = new Map<string, number>();
  for (const deployment of deployments) {
    const name = deployment.metadata!.name!;
    const patched = await kubeCall(
      "PATCH",
      `${deploymentsPath}/${encodeURIComponent(name)}`,
      (o) =>
        clients.apps.patchNamespacedDeployment(
          {
            name,
            namespace,
            body: {
              metadata: { annotations: { [CHANGE_CAUSE_ANNOTATION]: reason } },
              spec: {
                template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } },
              },
            },
          },
          o,
        ),
      { contentType: "application/strategic-merge-patch+json" },
    );
    generations.set(name, patched.metadata?.generation ?? 0);
    progress(`restarted deployment ${namespace}/${name} (${reason}) at ${restartedAt}`);
  }

  const last = new Map<string, string>();
  const pending = new Set(generations.keys());
  for (;;) {
    const batch = await connect(access);
    for (const name of [...pending]) {
      const current = await kubeCall("GET", `${deploymentsPath}/${encodeURIComponent(name)}`, (o) =>
        batch.apps.readNamespacedDeployment({ name, namespace }, o),
      );
      const status = rolloutStatus(current, generations.get(name)!);
      if (status.detail !== last.get(name)) progress(status.detail);
      last.set(name, status.detail);
      if (status.state === "failed") {
        throw new Error(
          `The restart of deployment ${namespace}/${name} failed: ${status.detail}; inspect it with kubectl -n ${namespace} rollout status deployment/${name}`,
        );
      }
      if (status.state === "done") pending.delete(name);
    }
    if (pending.size === 0) return [...generations.keys()];
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      throw new Error(
        `The restart of ${[...pending].map((n) => `${namespace}/${n}`).join(", ")} did not complete within ${formatDuration(timeoutMs)}: ${[...pending].map((n) => last.get(n)).join("; ")}`,
      );
    }
    await sleep(Math.min(pollMs, timeoutMs - elapsed));
  }
}
