/**
 * ElbTrafficVerifier: the colours' target groups from the TargetGroupBindings (a loopback
 * Kubernetes API), the live listener rule and target health from ELBv2 (aws-sdk-client-mock,
 * exact inputs asserted), polled on a fake clock.
 */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type DescribeListenersCommandInput,
  type DescribeRulesCommandInput,
  type DescribeTargetHealthCommandInput,
  type Rule,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Colour } from "../../constructs/private/traffic";
import {
  DEFAULT_DEREGISTRATION_DELAY_SECONDS,
  ElbTrafficVerifier,
} from "../../release/aws/traffic";
import { targetGroupBindingsPath } from "../../release/kubernetes";
import type { KubernetesAccess } from "../../release/types";

const TOKEN = "k8s-aws-v1.test-token";
const APP = { name: "web", namespace: "web" };
const ARN = "arn:aws:elasticloadbalancing:eu-west-1:111122223333";
const LB = `${ARN}:loadbalancer/app/k8s-web-web-0a1b2c3d4e/50dc6c495c0c9188`;
const TG: Record<Colour, string> = {
  blue: `${ARN}:targetgroup/k8s-web-webbluea-1a2b3c4d5e/aaaa1111bbbb2222`,
  green: `${ARN}:targetgroup/k8s-web-webgreen-5e4d3c2b1a/cccc3333dddd4444`,
};
const HTTP = `${ARN}:listener/app/k8s-web-web-0a1b2c3d4e/50dc6c495c0c9188/80aa`;
const HTTPS = `${ARN}:listener/app/k8s-web-web-0a1b2c3d4e/50dc6c495c0c9188/443bb`;

/** A binding as the controller writes it for an Ingress backend Service. */
function binding(colour: Colour, targetGroupARN: string | undefined = TG[colour]) {
  return {
    apiVersion: "elbv2.k8s.aws/v1beta1",
    kind: "TargetGroupBinding",
    metadata: { name: `k8s-web-web${colour}-${colour.length}abc`, namespace: APP.namespace },
    spec: {
      serviceRef: { name: `web-${colour}-alb`, port: 80 },
      ...(targetGroupARN ? { targetGroupARN } : {}),
      targetType: "ip",
      ipAddressType: "ipv4",
    },
  };
}

/** A loopback Kubernetes API answering the TargetGroupBinding list of one namespace. */
class FakeKubernetes {
  bindings: ReturnType<typeof binding>[] = [binding("blue"), binding("green")];
  readonly requests: { method: string; path: string; authorization?: string }[] = [];
  private readonly server: Server = createServer((req, res) => {
    this.requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      authorization: req.headers.authorization,
    });
    const status = (code: number, reason: string, message: string) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", status: "Failure", code, reason, message }));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return status(401, "Unauthorized", "Unauthorized");
    }
    if (req.method !== "GET" || req.url !== targetGroupBindingsPath(APP.namespace)) {
      return status(404, "NotFound", "the server could not find the requested resource");
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        apiVersion: "elbv2.k8s.aws/v1beta1",
        kind: "TargetGroupBindingList",
        metadata: { resourceVersion: "4711" },
        items: this.bindings,
      }),
    );
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

/** The rules the controller builds on HTTPS 443: preview (header), weighted, default 404. */
function httpsRules(weights: Record<Colour, number>, idle: Colour = "green"): Rule[] {
  const host = { Field: "host-header", HostHeaderConfig: { Values: ["web.example.com"] } };
  const path = { Field: "path-pattern", PathPatternConfig: { Values: ["/*"] } };
  const forward = (groups: [Colour, number][]) => ({
    Type: "forward" as const,
    Order: 1,
    ...(groups.length === 1 ? { TargetGroupArn: TG[groups[0][0]] } : {}),
    ForwardConfig: {
      TargetGroups: groups.map(([c, w]) => ({ TargetGroupArn: TG[c], Weight: w })),
      TargetGroupStickinessConfig: { Enabled: false },
    },
  });
  return [
    {
      RuleArn: `${HTTPS}/rule-preview`,
      Priority: "1",
      IsDefault: false,
      Conditions: [
        host,
        path,
        { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "x-preview", Values: ["1"] } },
      ],
      Actions: [forward([[idle, 100]])],
    },
    {
      RuleArn: `${HTTPS}/rule-weighted`,
      Priority: "2",
      IsDefault: false,
      Conditions: [host, path],
      Actions: [
        forward([
          ["blue", weights.blue],
          ["green", weights.green],
        ]),
      ],
    },
    {
      RuleArn: `${HTTPS}/rule-default`,
      Priority: "default",
      IsDefault: true,
      Conditions: [],
      Actions: [
        {
          Type: "fixed-response",
          FixedResponseConfig: { StatusCode: "404", ContentType: "text/plain" },
        },
      ],
    },
  ];
}

/** The HTTP listener with ssl-redirect: only its default redirect rule. */
const HTTP_RULES: Rule[] = [
  {
    RuleArn: `${HTTP}/rule-default`,
    Priority: "default",
    IsDefault: true,
    Conditions: [],
    Actions: [
      {
        Type: "redirect",
        RedirectConfig: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301" },
      },
    ],
  },
];

const targets = (...states: (string | [string, string])[]): TargetHealthDescription[] =>
  states.map((s, i) => {
    const [state, reason] = Array.isArray(s) ? s : [s, undefined];
    return {
      Target: { Id: `10.0.1.${10 + i}`, Port: 9898 },
      HealthCheckPort: "9898",
      TargetHealth: {
        State: state as "healthy",
        ...(reason ? { Reason: reason as "Elb.RegistrationInProgress" } : {}),
      },
    };
  });

const elb = mockClient(ElasticLoadBalancingV2Client);
let kube: FakeKubernetes;
let server: string;

/** What the fake ALB answers, changed by each test; read at every call. */
let polls: number;
let rulesAt: (poll: number) => Rule[];
let healthAt: (poll: number, colour: Colour) => TargetHealthDescription[];
let listenerPages: DescribeListenersCommandInput["Marker"][];

beforeAll(async () => {
  kube = new FakeKubernetes();
  server = await kube.listen();
});
afterAll(async () => {
  elb.restore();
  await kube.close();
});

beforeEach(() => {
  kube.bindings = [binding("blue"), binding("green")];
  kube.requests.length = 0;
  polls = 0;
  rulesAt = () => httpsRules({ blue: 95, green: 5 });
  healthAt = () => targets("healthy", "healthy");
  listenerPages = [];
  elb.reset();
  elb.onAnyCommand().rejects(new Error("unexpected ELBv2 call"));
  elb.on(DescribeTargetGroupsCommand).resolves({
    TargetGroups: (["blue", "green"] as const).map((c) => ({
      TargetGroupArn: TG[c],
      TargetGroupName: TG[c].split("/")[1],
      Protocol: "HTTP",
      Port: 9898,
      TargetType: "ip",
      LoadBalancerArns: [LB],
    })),
  });
  elb.on(DescribeListenersCommand).callsFake((input: DescribeListenersCommandInput) => {
    listenerPages.push(input.Marker);
    return {
      Listeners: [
        { ListenerArn: HTTP, LoadBalancerArn: LB, Port: 80, Protocol: "HTTP" },
        { ListenerArn: HTTPS, LoadBalancerArn: LB, Port: 443, Protocol: "HTTPS" },
      ],
    };
  });
  elb.on(DescribeRulesCommand).callsFake((input: DescribeRulesCommandInput) => {
    if (input.ListenerArn === HTTP) return { Rules: HTTP_RULES };
    if (input.ListenerArn === HTTPS) return { Rules: rulesAt(++polls) };
    throw new Error(`ListenerNotFound: ${input.ListenerArn}`);
  });
  elb.on(DescribeTargetHealthCommand).callsFake((input: DescribeTargetHealthCommandInput) => {
    const colour = (["blue", "green"] as const).find((c) => TG[c] === input.TargetGroupArn);
    if (!colour) throw new Error(`TargetGroupNotFound: ${input.TargetGroupArn}`);
    return { TargetHealthDescriptions: healthAt(polls, colour) };
  });
});

/** A verifier on a fake clock: each sleep moves the clock, no real time passes. */
function verifier(options: { pollIntervalMs?: number; access?: KubernetesAccess | null } = {}) {
  const clock = { now: 1_000_000, sleeps: [] as number[] };
  const access: KubernetesAccess | undefined =
    options.access === null ? undefined : (options.access ?? { server, token: async () => TOKEN });
  const v = new ElbTrafficVerifier(
    new ElasticLoadBalancingV2Client({
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
    }),
    async () => access,
    {
      pollIntervalMs: options.pollIntervalMs ?? 2_000,
      now: () => clock.now,
      sleep: async (ms) => {
        clock.sleeps.push(ms);
        clock.now += ms;
      },
    },
  );
  return { v, clock };
}

/** The inputs ELBv2 received for one command, in order. */
const inputs = (command: unknown) =>
  elb.commandCalls(command as never).map((call) => call.args[0].input as unknown);

describe("waitForWeights", () => {
  test("weights already live and targets healthy: resolves on the first read", async () => {
    const { v, clock } = verifier();
    const lines: string[] = [];
    await v.waitForWeights(APP, { blue: 95, green: 5 }, 60_000, (l) => lines.push(l));
    expect(lines).toEqual([
      "ALB rule weights blue 95 / green 5 (want 95/5) · blue targets: 2 healthy · green targets: 2 healthy",
    ]);
    expect(clock.sleeps).toEqual([]);
    expect(kube.requests).toEqual([
      {
        method: "GET",
        path: "/apis/elbv2.k8s.aws/v1beta1/namespaces/web/targetgroupbindings",
        authorization: `Bearer ${TOKEN}`,
      },
    ]);
    expect(inputs(DescribeTargetGroupsCommand)).toEqual([{ TargetGroupArns: [TG.blue, TG.green] }]);
    expect(inputs(DescribeListenersCommand)).toEqual([{ LoadBalancerArn: LB }]);
    expect(inputs(DescribeRulesCommand)).toEqual([{ ListenerArn: HTTP }, { ListenerArn: HTTPS }]);
    expect(inputs(DescribeTargetHealthCommand)).toEqual([
      { TargetGroupArn: TG.blue },
      { TargetGroupArn: TG.green },
    ]);
  });

  test("weights converge after two reads: waits one interval each time, prints every read", async () => {
    rulesAt = (poll) => httpsRules(poll <= 2 ? { blue: 100, green: 0 } : { blue: 95, green: 5 });
    const { v, clock } = verifier();
    const lines: string[] = [];
    await v.waitForWeights(APP, { blue: 95, green: 5 }, 60_000, (l) => lines.push(l));
    expect(lines).toEqual([
      "ALB rule weights blue 100 / green 0 (want 95/5) · blue targets: 2 healthy · green targets: 2 healthy",
      "ALB rule weights blue 100 / green 0 (want 95/5) · blue targets: 2 healthy · green targets: 2 healthy",
      "ALB rule weights blue 95 / green 5 (want 95/5) · blue targets: 2 healthy · green targets: 2 healthy",
    ]);
    expect(clock.sleeps).toEqual([2_000, 2_000]);
    // the listeners are read once per wait, the rules at every read
    expect(inputs(DescribeListenersCommand)).toHaveLength(1);
    expect(inputs(DescribeRulesCommand)).toHaveLength(6);
    expect(kube.requests).toHaveLength(3);
  });

  test("the preview rule (header condition) is never taken for the live rule", async () => {
    // a preview rule that lists both colours, as a hand-edited action could, with other weights
    rulesAt = () => {
      const [preview, weighted, fallback] = httpsRules({ blue: 0, green: 100 });
      const both = httpsRules({ blue: 50, green: 50 })[1];
      return [{ ...both, Conditions: preview.Conditions }, weighted, fallback];
    };
    const { v } = verifier();
    const lines: string[] = [];
    await v.waitForWeights(APP, { blue: 0, green: 100 }, 0, (l) => lines.push(l));
    expect(lines).toEqual([
      "ALB rule weights blue 0 / green 100 (want 0/100) · green targets: 2 healthy",
    ]);
    // blue has weight 0: its health is not asked for
    expect(inputs(DescribeTargetHealthCommand)).toEqual([{ TargetGroupArn: TG.green }]);
  });

  test("weights live but the canary's targets unhealthy until the third read: waits for them", async () => {
    healthAt = (poll, colour) =>
      colour === "blue"
        ? targets("healthy", "healthy")
        : poll === 1
          ? targets(
              ["initial", "Elb.RegistrationInProgress"],
              ["initial", "Elb.RegistrationInProgress"],
            )
          : poll === 2
            ? targets(
                ["unhealthy", "Target.FailedHealthChecks"],
                ["initial", "Elb.RegistrationInProgress"],
              )
            : targets("healthy", ["unhealthy", "Target.FailedHealthChecks"]);
    const { v, clock } = verifier();
    const lines: string[] = [];
    await v.waitForWeights(APP, { blue: 95, green: 5 }, 60_000, (l) => lines.push(l));
    expect(lines).toEqual([
      "ALB rule weights blue 95 / green 5 (want 95/5) · blue targets: 2 healthy · green targets: 2 initial (Elb.RegistrationInProgress)",
      "ALB rule weights blue 95 / green 5 (want 95/5) · blue targets: 2 healthy · green targets: 1 initial (Elb.RegistrationInProgress), 1 unhealthy (Target.FailedHealthChecks)",
      "ALB rule weights blue 95 / green 5 (want 95/5) · blue targets: 2 healthy · green targets: 1 healthy, 1 unhealthy (Target.FailedHealthChecks)",
    ]);
    expect(clock.sleeps).toEqual([2_000, 2_000]);
  });

  test("timeout: throws with the weights and health last seen; the last sleep is cut to the deadline", async () => {
    rulesAt = () => httpsRules({ blue: 100, green: 0 });
    healthAt = (_poll, colour) =>
      colour === "blue" ? targets("healthy") : targets(["unhealthy", "Target.Timeout"]);
    const { v, clock } = verifier({ pollIntervalMs: 2_000 });
    const lines: string[] = [];
    await expect(
      v.waitForWeights(APP, { blue: 95, green: 5 }, 5_000, (l) => lines.push(l)),
    ).rejects.toThrow(
      "The ALB of web (namespace web) did not carry 95/5 with healthy targets within 5s; last seen: ALB rule weights blue 100 / green 0 (want 95/5) · blue targets: 1 healthy · green targets: 1 unhealthy (Target.Timeout)",
    );
    expect(clock.sleeps).toEqual([2_000, 2_000, 1_000]);
    expect(lines).toHaveLength(4);
  });

  test("a colour with traffic and no registered target is not healthy", async () => {
    healthAt = (_poll, colour) => (colour === "green" ? [] : targets("healthy"));
    const { v } = verifier();
    await expect(v.waitForWeights(APP, { blue: 95, green: 5 }, 0, () => {})).rejects.toThrow(
      "last seen: ALB rule weights blue 95 / green 5 (want 95/5) · blue targets: 1 healthy · green targets: none registered",
    );
  });

  test("a missing TargetGroupBinding is named, with the bindings that are there", async () => {
    kube.bindings = [binding("blue")];
    const { v } = verifier();
    const lines: string[] = [];
    await expect(
      v.waitForWeights(APP, { blue: 95, green: 5 }, 4_000, (l) => lines.push(l)),
    ).rejects.toThrow(
      "last seen: no TargetGroupBinding for Service web-green-alb in namespace web (found k8s-web-webblue-4abc → web-blue-alb) (want 95/5)",
    );
    expect(lines).toHaveLength(3);
    // nothing asked of ELBv2 without both target groups
    expect(elb.calls()).toHaveLength(0);
  });

  test("a TargetGroupBinding that appears while waiting is picked up", async () => {
    kube.bindings = [];
    const { v, clock } = verifier();
    const lines: string[] = [];
    const waiting = v.waitForWeights(APP, { blue: 95, green: 5 }, 60_000, (l) => {
      lines.push(l);
      kube.bindings = [binding("blue"), binding("green")];
    });
    await waiting;
    expect(lines[0]).toBe(
      "no TargetGroupBinding for Service web-blue-alb in namespace web (none there); no TargetGroupBinding for Service web-green-alb in namespace web (none there) (want 95/5)",
    );
    expect(lines).toHaveLength(2);
    expect(clock.sleeps).toEqual([2_000]);
  });

  test("a binding without spec.targetGroupARN is reported as such", async () => {
    kube.bindings = [binding("blue"), binding("green", "")];
    const { v } = verifier();
    await expect(v.waitForWeights(APP, { blue: 95, green: 5 }, 0, () => {})).rejects.toThrow(
      "last seen: TargetGroupBinding k8s-web-webgreen-5abc for Service web-green-alb has no spec.targetGroupARN",
    );
  });

  test("listeners and rules are read page by page (NextMarker → Marker)", async () => {
    elb.on(DescribeListenersCommand).callsFake((input: DescribeListenersCommandInput) => {
      listenerPages.push(input.Marker);
      return input.Marker === undefined
        ? {
            Listeners: [{ ListenerArn: HTTP, LoadBalancerArn: LB, Port: 80, Protocol: "HTTP" }],
            NextMarker: "listeners-page-2",
          }
        : {
            Listeners: [{ ListenerArn: HTTPS, LoadBalancerArn: LB, Port: 443, Protocol: "HTTPS" }],
          };
    });
    elb.on(DescribeRulesCommand).callsFake((input: DescribeRulesCommandInput) => {
      if (input.ListenerArn === HTTP) return { Rules: HTTP_RULES };
      const [preview, weighted, fallback] = httpsRules({ blue: 95, green: 5 });
      return input.Marker === undefined
        ? { Rules: [preview], NextMarker: "rules-page-2" }
        : { Rules: [weighted, fallback] };
    });
    const { v } = verifier();
    const lines: string[] = [];
    await v.waitForWeights(APP, { blue: 95, green: 5 }, 0, (l) => lines.push(l));
    expect(lines[0]).toMatch(/^ALB rule weights blue 95 \/ green 5 \(want 95\/5\)/);
    expect(inputs(DescribeListenersCommand)).toEqual([
      { LoadBalancerArn: LB },
      { LoadBalancerArn: LB, Marker: "listeners-page-2" },
    ]);
    expect(inputs(DescribeRulesCommand)).toEqual([
      { ListenerArn: HTTP },
      { ListenerArn: HTTPS },
      { ListenerArn: HTTPS, Marker: "rules-page-2" },
    ]);
  });

  test("no rule forwarding to both colours: says which listeners were read", async () => {
    rulesAt = () => [httpsRules({ blue: 95, green: 5 })[0]];
    const { v } = verifier();
    await expect(v.waitForWeights(APP, { blue: 95, green: 5 }, 0, () => {})).rejects.toThrow(
      "last seen: no listener rule forwards to the target groups of web-blue-alb and web-green-alb without a header condition (2 listeners of loadbalancer/app/k8s-web-web-0a1b2c3d4e/50dc6c495c0c9188 read) (want 95/5)",
    );
  });

  test("a passing ELBv2 failure is retried at the next read", async () => {
    let first = true;
    elb.on(DescribeTargetHealthCommand).callsFake(() => {
      if (first) {
        first = false;
        throw Object.assign(new Error("Rate exceeded"), {
          name: "ThrottlingException",
          $metadata: { httpStatusCode: 400 },
        });
      }
      return { TargetHealthDescriptions: targets("healthy") };
    });
    const { v } = verifier();
    const lines: string[] = [];
    await v.waitForWeights(APP, { blue: 95, green: 5 }, 60_000, (l) => lines.push(l));
    expect(lines).toEqual([
      "could not read the target health: ThrottlingException: Rate exceeded (want 95/5)",
      "ALB rule weights blue 95 / green 5 (want 95/5) · blue targets: 1 healthy · green targets: 1 healthy",
    ]);
    // after a failure the load balancer and listeners are read again
    expect(inputs(DescribeListenersCommand)).toHaveLength(2);
  });

  test("timeout after a failed read: the state seen before it, and the failure", async () => {
    rulesAt = (poll) => {
      if (poll > 1)
        throw Object.assign(new Error("Service unavailable"), {
          name: "ServiceUnavailable",
          $metadata: { httpStatusCode: 503 },
        });
      return httpsRules({ blue: 100, green: 0 });
    };
    const { v } = verifier();
    await expect(v.waitForWeights(APP, { blue: 95, green: 5 }, 2_000, () => {})).rejects.toThrow(
      "did not carry 95/5 with healthy targets within 2s; last seen: ALB rule weights blue 100 / green 0 (want 95/5) · blue targets: 2 healthy · green targets: 2 healthy; the last read failed: could not read the listener rules: ServiceUnavailable: Service unavailable (want 95/5)",
    );
  });

  test("denied credentials fail at once, naming the call", async () => {
    elb.on(DescribeRulesCommand).rejects(
      Object.assign(
        new Error(
          "User: arn:aws:sts::111122223333:assumed-role/deploy is not authorized to perform: elasticloadbalancing:DescribeRules",
        ),
        {
          name: "AccessDenied",
          $metadata: { httpStatusCode: 403 },
        },
      ),
    );
    const { v, clock } = verifier();
    await expect(v.waitForWeights(APP, { blue: 95, green: 5 }, 60_000, () => {})).rejects.toThrow(
      "Cannot verify the ALB traffic of web (namespace web): could not read the listener rules: AccessDenied: User: arn:aws:sts::111122223333:assumed-role/deploy is not authorized to perform: elasticloadbalancing:DescribeRules",
    );
    expect(clock.sleeps).toEqual([]);
  });

  test("a refused token fails at once; the bearer token is what the API checks", async () => {
    const { v } = verifier({ access: { server, token: async () => "stale" } });
    await expect(v.waitForWeights(APP, { blue: 95, green: 5 }, 60_000, () => {})).rejects.toThrow(
      "Cannot verify the ALB traffic of web (namespace web): could not list the TargetGroupBindings: GET /apis/elbv2.k8s.aws/v1beta1/namespaces/web/targetgroupbindings: 401 Unauthorized",
    );
    expect(kube.requests.map((r) => r.authorization)).toEqual(["Bearer stale"]);
  });

  test("no Kubernetes API configured: fails at once", async () => {
    const { v } = verifier({ access: null });
    await expect(v.waitForWeights(APP, { blue: 95, green: 5 }, 60_000, () => {})).rejects.toThrow(
      "Cannot verify the ALB traffic of web (namespace web): could not list the TargetGroupBindings: no Kubernetes API configured to read the TargetGroupBindings (elbv2.k8s.aws/v1beta1) from",
    );
  });

  test("with the default timer: short real intervals", async () => {
    rulesAt = (poll) => httpsRules(poll === 1 ? { blue: 100, green: 0 } : { blue: 95, green: 5 });
    const v = new ElbTrafficVerifier(
      new ElasticLoadBalancingV2Client({ region: "eu-west-1" }),
      async () => ({ server, token: async () => TOKEN }),
      { pollIntervalMs: 5 },
    );
    const lines: string[] = [];
    await v.waitForWeights(APP, { blue: 95, green: 5 }, 5_000, (l) => lines.push(l));
    expect(lines).toHaveLength(2);
  });
});

describe("deregistrationDelayMs", () => {
  test("the colour's target group attribute, in milliseconds", async () => {
    elb.on(DescribeTargetGroupAttributesCommand).resolves({
      Attributes: [
        { Key: "stickiness.enabled", Value: "false" },
        { Key: "deregistration_delay.timeout_seconds", Value: "30" },
        { Key: "slow_start.duration_seconds", Value: "0" },
      ],
    });
    const { v } = verifier();
    expect(await v.deregistrationDelayMs(APP, "green")).toBe(30_000);
    expect(inputs(DescribeTargetGroupAttributesCommand)).toEqual([{ TargetGroupArn: TG.green }]);
  });

  test("300 s when the attribute is absent (the ELB default)", async () => {
    elb
      .on(DescribeTargetGroupAttributesCommand)
      .resolves({ Attributes: [{ Key: "stickiness.enabled", Value: "false" }] });
    const { v } = verifier();
    expect(DEFAULT_DEREGISTRATION_DELAY_SECONDS).toBe(300);
    expect(await v.deregistrationDelayMs(APP, "blue")).toBe(300_000);
    expect(inputs(DescribeTargetGroupAttributesCommand)).toEqual([{ TargetGroupArn: TG.blue }]);
  });

  test("a value that is not a number of seconds is refused", async () => {
    elb
      .on(DescribeTargetGroupAttributesCommand)
      .resolves({ Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "soon" }] });
    const { v } = verifier();
    await expect(v.deregistrationDelayMs(APP, "blue")).rejects.toThrow(
      `Target group ${TG.blue} (web-blue-alb) reports deregistration_delay.timeout_seconds = "soon", not a number of seconds`,
    );
  });

  test("no binding for the colour: says so", async () => {
    kube.bindings = [binding("green")];
    const { v } = verifier();
    await expect(v.deregistrationDelayMs(APP, "blue")).rejects.toThrow(
      "Cannot read the deregistration delay of web-blue-alb: no TargetGroupBinding for Service web-blue-alb in namespace web (found k8s-web-webgreen-5abc → web-green-alb)",
    );
    expect(elb.calls()).toHaveLength(0);
  });
});
