/**
 * A fake Application Load Balancer: one loopback HTTP server routing like the listener rules the
 * AWS Load Balancer Controller builds from the Ingresses in the fake Kubernetes API, read live on
 * every request (a PATCH takes effect at once, where the real controller takes seconds).
 * - Rules come from each Ingress of class `alb` in order (`spec.rules`, then their paths): the
 *   first rule whose host, path and `alb.ingress.kubernetes.io/conditions.<action>` all match wins;
 *   no match answers the controller's default action, a fixed 404.
 * - A backend on port `use-annotation` runs the action `alb.ingress.kubernetes.io/actions.<name>`
 *   (`forward` with `forwardConfig.targetGroups`, or `fixed-response`).
 * - A forward picks a target group by smooth weighted round-robin among weights > 0 (so a 5%
 *   weight gets exactly 1 request in 20, weight 0 none) and proxies to the colour's server; no
 *   version deployed answers 503 (no registered targets), no process 502.
 * - Header and host conditions match names and values case-insensitively, with `*` and `?`
 *   wildcards, as the ALB does. An Ingress the controller could not reconcile (bad JSON, an unknown
 *   Service or port) keeps its last good rules, and the error is recorded.
 */
import {
  createServer,
  request,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { PREVIEW_ACTION_NAME, type Colour } from "../../../constructs/private/traffic";
import type { ColourServer } from "./colours";
import type { Ingress } from "./kubernetes-api";

/** One request the fake ALB answered. */
export interface AlbRequest {
  /** When it arrived (ISO 8601). */
  readonly time: string;
  /** The `Host` header as sent. */
  readonly host: string;
  /** The URL path (no query). */
  readonly path: string;
  /** Whether the preview rule (action `preview`) matched. */
  readonly preview: boolean;
  /** The action of the matched rule, if any. */
  readonly action?: string;
  /** The colour the request was forwarded to, and the version that colour ran. */
  readonly colour?: Colour;
  readonly version?: string;
  /** Status code answered to the client. */
  readonly status: number;
}

/** An Ingress the controller could not turn into rules. */
export interface ReconcileError {
  readonly time: string;
  /** `<namespace>/<name>@<resourceVersion>`. */
  readonly ingress: string;
  readonly message: string;
}

/** Finds the colour server behind an ALB Service (`<app>-<colour>-alb`) and the Service's port. */
export type ServiceResolver = (
  namespace: string,
  serviceName: string,
) => { readonly server: ColourServer; readonly servicePort: number } | undefined;

interface TargetGroup {
  readonly serviceName: string;
  readonly weight: number;
  readonly server: ColourServer;
}

type Action =
  | { readonly type: "forward"; readonly groups: readonly TargetGroup[] }
  | {
      readonly type: "fixed-response";
      readonly status: number;
      readonly contentType: string;
      readonly body: string;
    };

type Condition = (req: IncomingMessage, host: string, path: string) => boolean;

/** One listener rule. */
export interface Rule {
  /** Key of the round-robin state: `<namespace>/<name>/<action>`. */
  readonly key: string;
  readonly actionName: string;
  readonly host?: RegExp;
  readonly path: (path: string) => boolean;
  readonly conditions: readonly Condition[];
  readonly action: Action;
}

const PREFIX = "alb.ingress.kubernetes.io";

/** The fake ALB server. */
export class FakeAlb {
  private readonly server: Server;
  private readonly agent = new Agent({ keepAlive: false });
  private readonly log: AlbRequest[] = [];
  private readonly errors: ReconcileError[] = [];
  /** Compiled rules per Ingress (`<ns>/<name>`), with the resourceVersion they came from. */
  private readonly compiled = new Map<string, { version: string; rules: Rule[] }>();
  private readonly roundRobin = new Map<string, { signature: string; current: number[] }>();

  constructor(
    private readonly ingresses: () => Ingress[],
    private readonly resolve: ServiceResolver,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Starts listening on 127.0.0.1 (a free port); resolves to the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and cuts every open connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
  }

  /** Every request answered so far, in the order they finished. */
  requests(): AlbRequest[] {
    return [...this.log];
  }

  /** Every Ingress version the controller could not reconcile. */
  reconcileErrors(): ReconcileError[] {
    return [...this.errors];
  }

  /**
   * Turns every changed Ingress into rules, as the controller does on each watch event (an
   * Ingress it cannot reconcile keeps its last good rules). Returns the rules of all of them.
   */
  reconcile(): Rule[] {
    const rules: Rule[] = [];
    for (const ingress of this.ingresses()) {
      const { namespace, name, resourceVersion = "" } = ingress.metadata;
      const className =
        ingress.spec?.ingressClassName ??
        ingress.metadata.annotations?.["kubernetes.io/ingress.class"];
      if (className !== "alb") continue;
      const key = `${namespace}/${name}`;
      let entry = this.compiled.get(key);
      if (entry?.version !== resourceVersion) {
        try {
          entry = { version: resourceVersion, rules: this.compile(ingress) };
        } catch (error) {
          const message = (error as Error).message;
          this.errors.push({
            time: new Date().toISOString(),
            ingress: `${key}@${resourceVersion}`,
            message,
          });
          entry = { version: resourceVersion, rules: entry?.rules ?? [] };
        }
        this.compiled.set(key, entry);
      }
      rules.push(...entry.rules);
    }
    return rules;
  }

  /** The listener rules the controller builds from one Ingress; throws what it would fail on. */
  private compile(ingress: Ingress): Rule[] {
    const { namespace, name } = ingress.metadata;
    const annotations = ingress.metadata.annotations ?? {};
    const annotationJson = (key: string): unknown => {
      const text = annotations[key];
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new Error(`annotation ${key}: ${(error as Error).message}`);
      }
    };
    const rules: Rule[] = [];
    for (const rule of ingress.spec?.rules ?? []) {
      for (const entry of rule.http?.paths ?? []) {
        const service = entry.backend.service!;
        let actionName = `${service.name}:${service.port.number ?? service.port.name}`;
        let action: Action;
        let conditions: Condition[] = [];
        if (service.port.name === "use-annotation") {
          actionName = service.name;
          const spec = annotationJson(`${PREFIX}/actions.${service.name}`);
          if (spec === undefined)
            throw new Error(`no annotation ${PREFIX}/actions.${service.name}`);
          action = this.action(namespace, spec);
          conditions = parseConditions(annotationJson(`${PREFIX}/conditions.${service.name}`));
        } else {
          action = this.action(namespace, {
            type: "forward",
            forwardConfig: {
              targetGroups: [
                { serviceName: service.name, servicePort: service.port.number, weight: 1 },
              ],
            },
          });
        }
        rules.push({
          key: `${namespace}/${name}/${actionName}`,
          actionName,
          host: rule.host === undefined ? undefined : wildcard(rule.host, "i"),
          path: pathMatcher(entry.pathType, entry.path),
          conditions,
          action,
        });
      }
    }
    return rules;
  }

  private action(namespace: string, spec: any): Action {
    if (spec?.type === "fixed-response") {
      const config = spec.fixedResponseConfig ?? {};
      return {
        type: "fixed-response",
        status: Number(config.statusCode),
        contentType: config.contentType ?? "text/plain",
        body: config.messageBody ?? "",
      };
    }
    const groups = spec?.forwardConfig?.targetGroups;
    if (spec?.type !== "forward" || !Array.isArray(groups) || groups.length === 0) {
      throw new Error(
        `unsupported action ${JSON.stringify(spec)}: the harness plays forward and fixed-response`,
      );
    }
    return {
      type: "forward",
      groups: groups.map((group: any) => {
        const weight = group.weight ?? 1;
        if (!Number.isInteger(weight) || weight < 0 || weight > 999) {
          throw new Error(`target group weight ${JSON.stringify(weight)}: an integer 0-999`);
        }
        const target = this.resolve(namespace, String(group.serviceName));
        if (!target) throw new Error(`Service ${namespace}/${String(group.serviceName)} not found`);
        if (group.servicePort !== target.servicePort) {
          throw new Error(
            `Service ${namespace}/${String(group.serviceName)} has no port ${JSON.stringify(group.servicePort)}`,
          );
        }
        return { serviceName: String(group.serviceName), weight, server: target.server };
      }),
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const time = new Date().toISOString();
    const hostHeader = req.headers.host ?? "";
    const host = hostHeader.replace(/:\d+$/, "");
    const path = new URL(req.url ?? "/", "http://alb").pathname;
    const rule = this.reconcile().find(
      (r) =>
        (!r.host || r.host.test(host)) &&
        r.path(path) &&
        r.conditions.every((c) => c(req, host, path)),
    );
    // the colour and the version it ran when the request was forwarded
    const target: { colour?: Colour; version?: string } = {};
    res.once("close", () =>
      this.log.push({
        time,
        host: hostHeader,
        path,
        preview: rule?.actionName === PREVIEW_ACTION_NAME,
        action: rule?.actionName,
        ...target,
        status: res.headersSent ? res.statusCode : 0,
      }),
    );
    if (!rule) return respond(req, res, 404, "text/plain; charset=utf-8", "");
    if (rule.action.type === "fixed-response") {
      const { status, contentType, body } = rule.action;
      return respond(req, res, status, contentType, body);
    }
    const server = this.pick(rule.key, rule.action.groups)?.server;
    target.colour = server?.colour;
    target.version = server?.version;
    const port = server?.port;
    if (!server?.version) return errorPage(req, res, 503, "Service Temporarily Unavailable");
    if (port === undefined) return errorPage(req, res, 502, "Bad Gateway");
    const forwarded = request(
      {
        host: "127.0.0.1",
        port,
        method: req.method,
        path: req.url,
        agent: this.agent,
        headers: {
          ...req.headers,
          "x-forwarded-for": req.socket.remoteAddress ?? "127.0.0.1",
          "x-forwarded-proto": "http",
          "x-forwarded-port": String((this.server.address() as AddressInfo).port),
        },
      },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      },
    );
    forwarded.on("error", () => {
      if (res.headersSent) res.destroy();
      else errorPage(req, res, 502, "Bad Gateway");
    });
    req.pipe(forwarded);
  }

  /** Smooth weighted round-robin (nginx's): deterministic, exact shares over each cycle. */
  private pick(key: string, groups: readonly TargetGroup[]): TargetGroup | undefined {
    const live = groups.filter((g) => g.weight > 0);
    if (live.length === 0) return undefined;
    const signature = live.map((g) => `${g.serviceName}=${g.weight}`).join(",");
    let state = this.roundRobin.get(key);
    if (state?.signature !== signature) {
      state = { signature, current: live.map(() => 0) };
      this.roundRobin.set(key, state);
    }
    const total = live.reduce((sum, g) => sum + g.weight, 0);
    let best = 0;
    live.forEach((g, i) => {
      state.current[i] += g.weight;
      if (state.current[i] > state.current[best]) best = i;
    });
    state.current[best] -= total;
    return live[best];
  }
}

/** The conditions annotation (a JSON list of ALB rule conditions) as predicates. */
function parseConditions(spec: unknown): Condition[] {
  if (spec === undefined) return [];
  if (!Array.isArray(spec)) throw new Error("conditions annotation: a JSON list is required");
  return spec.map((condition: any): Condition => {
    switch (condition?.field) {
      case "http-header": {
        const header = String(condition.httpHeaderConfig?.httpHeaderName ?? "").toLowerCase();
        const values = valuePatterns(condition.httpHeaderConfig?.values, "i");
        return (req) =>
          (req.headersDistinct[header] ?? []).some((v) => values.some((p) => p.test(v)));
      }
      case "host-header": {
        const values = valuePatterns(condition.hostHeaderConfig?.values, "i");
        return (_req, host) => values.some((p) => p.test(host));
      }
      case "path-pattern": {
        const values = valuePatterns(condition.pathPatternConfig?.values, "");
        return (_req, _host, path) => values.some((p) => p.test(path));
      }
      case "http-request-method": {
        const values: unknown[] = condition.httpRequestMethodConfig?.values ?? [];
        return (req) => values.includes(req.method);
      }
      default:
        throw new Error(`unsupported condition ${JSON.stringify(condition)}`);
    }
  });
}

function valuePatterns(values: unknown, flags: string): RegExp[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new Error("a condition needs a non-empty values list");
  }
  return values.map((v) => wildcard(String(v), flags));
}

/** An ALB match string (`*` any characters, `?` one) as an anchored regular expression. */
function wildcard(pattern: string, flags: string): RegExp {
  const body = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, flags);
}

function pathMatcher(pathType: string, path = "/"): (path: string) => boolean {
  if (pathType === "Exact") return (p) => p === path;
  if (pathType === "Prefix") {
    const base = path.replace(/\/+$/, "");
    return (p) => base === "" || p === base || p.startsWith(`${base}/`);
  }
  const pattern = wildcard(path, "");
  return (p) => pattern.test(p);
}

/** An answer of the ALB itself (the request body is drained, not forwarded). */
function respond(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  req.resume();
  res.writeHead(status, { "content-type": contentType, server: "awselb/2.0" });
  res.end(body);
}

/** The HTML error page the ALB answers when it has no target or the target fails. */
function errorPage(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  const title = `${status} ${text}`;
  const html = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
  respond(req, res, status, "text/html", html);
}
