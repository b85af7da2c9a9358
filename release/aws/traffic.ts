/**
 * Proof that the ALB serves what the Ingress says (issue 10, "Verified traffic"): after a weight
 * change the release tool waits until the load balancer's live listener rule forwards with the
 * new weights and every colour given traffic has a healthy target, before a bake starts. Argo
 * Rollouts users still see 503s at switch time because it checks only part of this.
 *
 * How a colour maps to the ALB, as the AWS Load Balancer Controller v2.13.3 (chart 1.13.3, the
 * platform's pin in `constructs/load-balancer-controller.ts`) builds it:
 * - one TargetGroupBinding (`elbv2.k8s.aws/v1beta1`) per Ingress backend Service, in the
 *   Service's namespace, with `spec.serviceRef.name` the Service and `spec.targetGroupARN` its
 *   target group (`pkg/ingress/model_build_target_group.go`, `buildTargetGroupBindingSpec`;
 *   fields in `apis/elbv2/v1beta1/targetgroupbinding_types.go`); the construct's Services are
 *   `<app>-<colour>-alb`;
 * - the weighted action becomes a listener rule whose forward action lists both colours' target
 *   groups with their weights (`ForwardConfig.TargetGroups`); the preview action is a rule with an
 *   `http-header` condition; with `ssl-redirect` the HTTP listener gets no rules at all, only a
 *   redirect default action (`pkg/ingress/model_build_listener_rules.go`,
 *   `model_build_listener.go`), so the forward rule lives on HTTPS 443. Every listener is read,
 *   so any listener layout works.
 */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type Listener,
  type Rule,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { formatDuration } from "../../config/duration";
import { COLOURS, type Colour } from "../../constructs/private/traffic";
import { KubernetesApiError, listTargetGroupBindings } from "../kubernetes";
import type { KubernetesAccess, TrafficVerifier } from "../types";

/** The target group attribute holding the deregistration delay, in seconds. */
export const DEREGISTRATION_DELAY_ATTRIBUTE = "deregistration_delay.timeout_seconds";

/**
 * The deregistration delay of a target group that does not report the attribute: 300 seconds,
 * the default the Elastic Load Balancing API reference gives for
 * `deregistration_delay.timeout_seconds` (range 0-3600).
 */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;

/** How often the ALB is read while waiting, unless told otherwise. */
export const DEFAULT_TRAFFIC_POLL_INTERVAL_MS = 5_000;

/** Test seams and tuning of {@link ElbTrafficVerifier}. */
export interface ElbTrafficVerifierOptions {
  /** Time between two reads of the ALB. @default 5000 */
  readonly pollIntervalMs?: number;
  /** The clock, in milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Waits `ms` milliseconds. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** An app as the verifier needs it: its name (Services `<name>-<colour>-alb`) and namespace. */
type AppRef = { readonly name: string; readonly namespace: string };

/** What one read of the ALB found. */
interface Observation {
  /** The new weights are live and every colour with traffic has a healthy target. */
  readonly ok: boolean;
  /** What was seen, for the progress line and the timeout message. */
  readonly line: string;
  /** The read failed part way (the line says how); the state seen before stays the last seen. */
  readonly failed?: boolean;
}

/** A listener rule forwarding to both colours' target groups, and its weights. */
interface LiveRule {
  readonly listener: string;
  readonly weights: Record<Colour, number | undefined>;
  readonly targetGroups: Record<Colour, string>;
}

/** An error no amount of waiting mends: no permission, or an API that does not exist. */
class PermanentError extends Error {}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The Service the ALB targets for a colour (`BlueGreenRelease.serviceNames`). */
export function albServiceName(app: string, colour: Colour): string {
  return `${app}-${colour}-alb`;
}

/**
 * {@link TrafficVerifier} over Elastic Load Balancing v2 (normal mode): the colours' target
 * groups from the TargetGroupBindings in the app's namespace, the live rule from `DescribeRules`
 * on every listener of the load balancers those target groups belong to, and target health from
 * `DescribeTargetHealth`.
 */
export class ElbTrafficVerifier implements TrafficVerifier {
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /**
   * @param elb ELBv2 in the environment's region, with the deploy credentials
   * @param kubernetes the Kubernetes API (undefined: none configured, nothing can be verified)
   */
  constructor(
    private readonly elb: ElasticLoadBalancingV2Client,
    private readonly kubernetes: () => Promise<KubernetesAccess | undefined>,
    options: ElbTrafficVerifierOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_TRAFFIC_POLL_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleepFor;
  }

  /**
   * Reads the ALB until its live rule forwards with `weights` and every colour with a weight
   * above 0 has a healthy target, printing what it saw at each read. Throws at once when the
   * TargetGroupBindings cannot be read at all (no Kubernetes API, no permission, no such CRD) or
   * ELBv2 refuses the credentials; otherwise throws after `timeoutMs` with what it last saw.
   */
  async waitForWeights(
    app: AppRef,
    weights: Readonly<Record<Colour, number>>,
    timeoutMs: number,
    progress: (line: string) => void,
  ): Promise<void> {
    const start = this.now();
    const deadline = start + timeoutMs;
    const topology = new Topology(this.elb, app);
    let lastState: string | undefined;
    for (;;) {
      const seen = await this.observe(app, weights, topology);
      progress(seen.line);
      if (seen.ok) return;
      if (!seen.failed) lastState = seen.line;
      const left = deadline - this.now();
      if (left <= 0) {
        const failure = seen.failed ? `; the last read failed: ${seen.line}` : "";
        throw new Error(
          `The ALB of ${app.name} (namespace ${app.namespace}) did not carry ${want(weights)} with healthy targets within ${formatDuration(timeoutMs)}; last seen: ${lastState ?? "nothing (every read failed)"}${failure}`,
        );
      }
      await this.sleep(Math.min(this.pollIntervalMs, left));
    }
  }

  /**
   * The deregistration delay of the colour's target group (`deregistration_delay.timeout_seconds`,
   * 300 s when the group does not report it), in milliseconds: how long a deregistered target
   * keeps its in-flight connections. With several bindings for the colour's Service, the longest.
   */
  async deregistrationDelayMs(app: AppRef, colour: Colour): Promise<number> {
    const service = albServiceName(app.name, colour);
    const bindings = await this.bindings(app).catch((error: Error) => {
      throw new Error(`Cannot read the deregistration delay of ${service}: ${error.message}`);
    });
    const arns = bindings.arns[colour];
    if (arns.length === 0) {
      throw new Error(
        `Cannot read the deregistration delay of ${service}: ${bindings.missing[colour]}`,
      );
    }
    let longest = 0;
    for (const arn of arns) {
      const answer = await this.elb.send(
        new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }),
      );
      const value = answer.Attributes?.find((a) => a.Key === DEREGISTRATION_DELAY_ATTRIBUTE)?.Value;
      const seconds = value === undefined ? DEFAULT_DEREGISTRATION_DELAY_SECONDS : Number(value);
      if (value !== undefined && !/^\d+$/.test(value.trim())) {
        throw new Error(
          `Target group ${arn} (${service}) reports ${DEREGISTRATION_DELAY_ATTRIBUTE} = ${JSON.stringify(value)}, not a number of seconds`,
        );
      }
      longest = Math.max(longest, seconds * 1000);
    }
    return longest;
  }

  /** One read: bindings, rule weights, target health. Transient failures become the line. */
  private async observe(
    app: AppRef,
    weights: Readonly<Record<Colour, number>>,
    topology: Topology,
  ): Promise<Observation> {
    let step = "list the TargetGroupBindings";
    try {
      const bindings = await this.bindings(app);
      const missing = COLOURS.filter((c) => bindings.arns[c].length === 0);
      if (missing.length > 0) {
        return {
          ok: false,
          line: `${missing.map((c) => bindings.missing[c]).join("; ")} (want ${want(weights)})`,
        };
      }
      step = "read the listener rules";
      const rules = await topology.liveRules(bindings.arns);
      if (typeof rules === "string") return { ok: false, line: `${rules} (want ${want(weights)})` };
      const weightsOk = rules.every((r) => COLOURS.every((c) => r.weights[c] === weights[c]));
      const parts = [`${describeRules(rules)} (want ${want(weights)})`];
      let healthy = true;
      step = "read the target health";
      for (const colour of COLOURS.filter((c) => weights[c] > 0)) {
        const arns = [...new Set(rules.map((r) => r.targetGroups[colour]))];
        for (const arn of arns) {
          const health = await this.health(arn);
          healthy &&= health.healthy;
          parts.push(`${colour} targets: ${health.text}`);
        }
      }
      return { ok: weightsOk && healthy, line: parts.join(" · ") };
    } catch (error) {
      topology.forget();
      if (error instanceof PermanentError || permanent(error)) {
        throw new Error(
          `Cannot verify the ALB traffic of ${app.name} (namespace ${app.namespace}): could not ${step}: ${describeError(error)}`,
        );
      }
      return {
        ok: false,
        failed: true,
        line: `could not ${step}: ${describeError(error)} (want ${want(weights)})`,
      };
    }
  }

  /** The target groups per colour from the namespace's TargetGroupBindings. */
  private async bindings(app: AppRef): Promise<Bindings> {
    const access = await this.kubernetes();
    if (!access) {
      throw new PermanentError(
        "no Kubernetes API configured to read the TargetGroupBindings (elbv2.k8s.aws/v1beta1) from",
      );
    }
    const items = await listTargetGroupBindings(access, app.namespace);
    const found = items.map((b) => `${b.metadata.name} → ${b.spec?.serviceRef?.name ?? "?"}`);
    const arns = {} as Record<Colour, string[]>;
    const missing = {} as Record<Colour, string>;
    for (const colour of COLOURS) {
      const service = albServiceName(app.name, colour);
      const mine = items.filter((b) => b.spec?.serviceRef?.name === service);
      arns[colour] = mine.flatMap((b) => (b.spec?.targetGroupARN ? [b.spec.targetGroupARN] : []));
      missing[colour] =
        mine.length > 0
          ? `TargetGroupBinding ${mine.map((b) => b.metadata.name).join(", ")} for Service ${service} has no spec.targetGroupARN`
          : `no TargetGroupBinding for Service ${service} in namespace ${app.namespace} (${
              found.length > 0 ? `found ${found.join(", ")}` : "none there"
            })`;
    }
    return { arns, missing };
  }

  /** Target health of one group: healthy when at least one target is `healthy`. */
  private async health(arn: string): Promise<{ healthy: boolean; text: string }> {
    const answer = await this.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    const counts = new Map<string, { count: number; reasons: Set<string> }>();
    for (const target of answer.TargetHealthDescriptions ?? []) {
      const state = target.TargetHealth?.State ?? "unknown";
      const entry = counts.get(state) ?? { count: 0, reasons: new Set<string>() };
      entry.count += 1;
      if (target.TargetHealth?.Reason) entry.reasons.add(target.TargetHealth.Reason);
      counts.set(state, entry);
    }
    if (counts.size === 0) return { healthy: false, text: "none registered" };
    const order = (state: string) => (state === "healthy" ? 0 : 1);
    const text = [...counts.entries()]
      .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
      .map(
        ([state, { count, reasons }]) =>
          `${count} ${state}${reasons.size > 0 ? ` (${[...reasons].sort().join(", ")})` : ""}`,
      )
      .join(", ");
    return { healthy: (counts.get("healthy")?.count ?? 0) > 0, text };
  }
}

/** The colours' target groups, and the sentence for a colour that has none. */
interface Bindings {
  readonly arns: Record<Colour, string[]>;
  readonly missing: Record<Colour, string>;
}

/**
 * The load balancers and listeners behind the colours' target groups, read once per wait (and
 * again after a read that found no rule or failed: the controller may be rebuilding them).
 */
class Topology {
  private listeners?: {
    readonly arns: string;
    readonly loadBalancers: string[];
    readonly listeners: Listener[];
  };

  constructor(
    private readonly elb: ElasticLoadBalancingV2Client,
    private readonly app: AppRef,
  ) {}

  /** Drops what was read, so the next read starts over. */
  forget(): void {
    this.listeners = undefined;
  }

  /**
   * Every listener rule (of any listener of the target groups' load balancers) whose forward
   * action lists a target group of each colour and that has no `http-header` condition (the
   * preview rule has one); or a sentence saying why there is none.
   */
  async liveRules(arns: Record<Colour, string[]>): Promise<LiveRule[] | string> {
    const key = JSON.stringify(arns);
    if (this.listeners?.arns !== key) {
      const loadBalancers = await this.loadBalancers(arns);
      if (typeof loadBalancers === "string") return loadBalancers;
      const listeners: Listener[] = [];
      for (const lb of loadBalancers) listeners.push(...(await this.listListeners(lb)));
      this.listeners = { arns: key, loadBalancers, listeners };
    }
    const { loadBalancers, listeners } = this.listeners;
    const found: LiveRule[] = [];
    for (const listener of listeners) {
      for (const rule of await this.listRules(listener.ListenerArn!)) {
        const live = forwardToBoth(rule, arns, `${listener.Protocol}:${listener.Port}`);
        if (live) found.push(live);
      }
    }
    if (found.length === 0) {
      this.forget();
      const services = COLOURS.map((c) => albServiceName(this.app.name, c)).join(" and ");
      return `no listener rule forwards to the target groups of ${services} without a header condition (${listeners.length} listener${listeners.length === 1 ? "" : "s"} of ${loadBalancers.map(shortArn).join(", ")} read)`;
    }
    return found;
  }

  private async loadBalancers(arns: Record<Colour, string[]>): Promise<string[] | string> {
    const all = COLOURS.flatMap((c) => arns[c]);
    const answer = await this.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: all }));
    const groups = answer.TargetGroups ?? [];
    const unattached = all.filter(
      (arn) =>
        !groups.some((g) => g.TargetGroupArn === arn && (g.LoadBalancerArns ?? []).length > 0),
    );
    if (unattached.length > 0) {
      return `target group ${unattached.map(shortArn).join(", ")} is not attached to a load balancer yet`;
    }
    return [...new Set(groups.flatMap((g) => g.LoadBalancerArns ?? []))].sort();
  }

  private async listListeners(loadBalancerArn: string): Promise<Listener[]> {
    const listeners: Listener[] = [];
    let marker: string | undefined;
    do {
      const page = await this.elb.send(
        new DescribeListenersCommand({
          LoadBalancerArn: loadBalancerArn,
          ...(marker ? { Marker: marker } : {}),
        }),
      );
      listeners.push(...(page.Listeners ?? []));
      marker = page.NextMarker;
    } while (marker);
    return listeners;
  }

  private async listRules(listenerArn: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await this.elb.send(
        new DescribeRulesCommand({
          ListenerArn: listenerArn,
          ...(marker ? { Marker: marker } : {}),
        }),
      );
      rules.push(...(page.Rules ?? []));
      marker = page.NextMarker;
    } while (marker);
    return rules;
  }
}

/** The rule as a {@link LiveRule} when it forwards to a target group of each colour, without a header condition. */
function forwardToBoth(
  rule: Rule,
  arns: Record<Colour, string[]>,
  listener: string,
): LiveRule | undefined {
  if ((rule.Conditions ?? []).some((c) => c.Field === "http-header")) return undefined;
  for (const action of rule.Actions ?? []) {
    if (action.Type !== "forward") continue;
    const groups = action.ForwardConfig?.TargetGroups ?? [];
    const pick = (colour: Colour) => groups.find((g) => arns[colour].includes(g.TargetGroupArn!));
    const [blue, green] = COLOURS.map(pick);
    if (!blue || !green) continue;
    return {
      listener,
      weights: { blue: blue.Weight, green: green.Weight },
      targetGroups: { blue: blue.TargetGroupArn!, green: green.TargetGroupArn! },
    };
  }
  return undefined;
}

/** `ALB rule weights blue 5 / green 95`, per listener when the rules disagree. */
function describeRules(rules: readonly LiveRule[]): string {
  const text = (r: LiveRule) => COLOURS.map((c) => `${c} ${r.weights[c] ?? "?"}`).join(" / ");
  const distinct = [...new Set(rules.map(text))];
  return distinct.length === 1
    ? `ALB rule weights ${distinct[0]}`
    : `ALB rule weights ${rules.map((r) => `${r.listener} ${text(r)}`).join(", ")}`;
}

/** `5/95` (blue/green). */
function want(weights: Readonly<Record<Colour, number>>): string {
  return COLOURS.map((c) => weights[c]).join("/");
}

/** `targetgroup/k8s-web-webblue-1a2b3c/0123abcd` of an ARN (the part people recognise). */
function shortArn(arn: string): string {
  return arn.replace(/^arn:[^:]+:elasticloadbalancing:[^:]*:\d*:/, "");
}

/** Denied credentials or a Kubernetes API without the CRD: waiting will not help. */
function permanent(error: unknown): boolean {
  if (error instanceof KubernetesApiError) return [401, 403, 404].includes(error.status);
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    [401, 403].includes(e.$metadata?.httpStatusCode ?? 0) ||
    /AccessDenied|Unauthorized|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken/.test(
      e.name ?? "",
    )
  );
}

/** An error for a message: SDK service errors with their code (`AccessDenied: ...`). */
function describeError(error: unknown): string {
  const e = error as Error & { $metadata?: unknown };
  return e.$metadata !== undefined && !e.message.startsWith(e.name)
    ? `${e.name}: ${e.message}`
    : e.message;
}
