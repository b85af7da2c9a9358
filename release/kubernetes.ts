/**
 * The little of the Kubernetes API the release tool needs: read an app's Ingress and patch its
 * traffic annotations (JSON merge patch), and list the TargetGroupBindings the AWS Load Balancer
 * Controller made for it, with the deploy credentials.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { COLOURS, WEIGHTED_ACTION_ANNOTATION, type Colour } from "../constructs/private/traffic";
import type { KubernetesAccess } from "./types";

/** The parts of an Ingress the release tool reads. */
export interface IngressObject {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly resourceVersion?: string;
    readonly annotations?: Record<string, string>;
  };
}

/** A Kubernetes API error with the server's `Status` message. */
export class KubernetesApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, 0 when no answer came. */
    readonly status: number,
  ) {
    super(message);
    this.name = "KubernetesApiError";
  }
}

const TIMEOUT_MS = 10_000;

function ingressPath(namespace: string, name: string): string {
  return `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/ingresses/${encodeURIComponent(name)}`;
}

/** Reads an Ingress. */
export function getIngress(
  access: KubernetesAccess,
  namespace: string,
  name: string,
): Promise<IngressObject> {
  return call(access, "GET", ingressPath(namespace, name)) as Promise<IngressObject>;
}

/** Merges `annotations` into an Ingress's annotations; returns the updated object. */
export function patchIngressAnnotations(
  access: KubernetesAccess,
  namespace: string,
  name: string,
  annotations: Record<string, string>,
): Promise<IngressObject> {
  return call(access, "PATCH", ingressPath(namespace, name), {
    contentType: "application/merge-patch+json",
    body: JSON.stringify({ metadata: { annotations } }),
  }) as Promise<IngressObject>;
}

/**
 * The parts of a TargetGroupBinding (`elbv2.k8s.aws/v1beta1`) the release tool reads. Field names
 * as the AWS Load Balancer Controller v2.13.3 (chart 1.13.3, the platform's pin) defines them in
 * `apis/elbv2/v1beta1/targetgroupbinding_types.go`: `spec.serviceRef.name` (`json:"name"`),
 * `spec.targetGroupARN` (`json:"targetGroupARN,omitempty"`: optional in the CRD, where
 * `targetGroupName` may name the group instead, but always set on the bindings the controller
 * builds for an Ingress, `pkg/ingress/model_build_target_group.go`).
 */
export interface TargetGroupBindingObject {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: {
    readonly serviceRef?: { readonly name?: string; readonly port?: number | string };
    readonly targetGroupARN?: string;
    readonly targetGroupName?: string;
  };
}

/**
 * Path of the TargetGroupBinding list of a namespace: group `elbv2.k8s.aws`, version `v1beta1`
 * (the storage version: `apis/elbv2/v1beta1/groupversion_info.go` and
 * `stable/aws-load-balancer-controller/crds/crds.yaml` of eks-charts at chart 1.13.3, plural
 * `targetgroupbindings`, namespaced).
 */
export function targetGroupBindingsPath(namespace: string): string {
  return `/apis/elbv2.k8s.aws/v1beta1/namespaces/${encodeURIComponent(namespace)}/targetgroupbindings`;
}

/** Lists the TargetGroupBindings of a namespace (one per Ingress backend Service). */
export async function listTargetGroupBindings(
  access: KubernetesAccess,
  namespace: string,
): Promise<TargetGroupBindingObject[]> {
  const list = (await call(access, "GET", targetGroupBindingsPath(namespace))) as {
    items?: TargetGroupBindingObject[];
  };
  if (!Array.isArray(list.items)) {
    throw new KubernetesApiError(
      `GET ${targetGroupBindingsPath(namespace)}: the answer is not a list (no items)`,
      200,
    );
  }
  return list.items;
}

/** The weights of the Ingress's weighted action per colour, or why they could not be read. */
export async function liveWeights(
  access: KubernetesAccess | undefined,
  namespace: string,
  app: string,
): Promise<Record<Colour, number> | string> {
  if (!access) return "no Kubernetes API configured";
  try {
    const ingress = await getIngress(access, namespace, app);
    const action = ingress.metadata.annotations?.[WEIGHTED_ACTION_ANNOTATION];
    if (!action) return `the Ingress has no ${WEIGHTED_ACTION_ANNOTATION} annotation`;
    const parsed = JSON.parse(action) as {
      forwardConfig?: { targetGroups?: { serviceName?: string; weight?: number }[] };
    };
    const groups = parsed.forwardConfig?.targetGroups ?? [];
    const weight = (colour: Colour) =>
      groups.find((g) => g.serviceName === `${app}-${colour}-alb`)?.weight ?? 0;
    return Object.fromEntries(COLOURS.map((c) => [c, weight(c)])) as Record<Colour, number>;
  } catch (error) {
    return `could not read the Ingress: ${(error as Error).message}`;
  }
}

async function call(
  access: KubernetesAccess,
  method: string,
  path: string,
  payload?: { contentType: string; body: string },
): Promise<unknown> {
  const url = new URL(path, `${access.server.replace(/\/+$/, "")}/`);
  const token = await access.token();
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        ca: access.caPem,
        timeout: TIMEOUT_MS,
        headers: {
          Accept: "application/json",
          Authorization: `Bearer ${token}`,
          ...(payload
            ? {
                "Content-Type": payload.contentType,
                "Content-Length": Buffer.byteLength(payload.body),
              }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300 && json !== undefined) return resolve(json);
          const message =
            (json as { message?: string } | undefined)?.message ?? (text.trim() || "no body");
          reject(new KubernetesApiError(`${method} ${url.pathname}: ${status} ${message}`, status));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
    req.on("error", (error) =>
      reject(new KubernetesApiError(`${method} ${url.href}: ${error.message}`, 0)),
    );
    req.end(payload?.body);
  });
}
