import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { bake } from "../../release/gates/bake";
import { commandGate } from "../../release/gates/command";
import type { Gate, GateContext } from "../../release/gates/gate";
import { healthGate, healthProbe } from "../../release/gates/health";
import type { HttpTarget } from "../../release/gates/http";
import { smokeGates } from "../../release/gates/smoke";

/** A loopback HTTP server answering with `handler`; records each request. */
async function serve(
  handler: (
    req: IncomingMessage,
    n: number,
  ) => { status: number; body?: string; delayMs?: number } | "hang",
): Promise<{ url: string; requests: IncomingMessage[]; close: () => Promise<void> }> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    const answer = handler(req, requests.length);
    if (answer === "hang") return;
    setTimeout(() => res.writeHead(answer.status).end(answer.body ?? ""), answer.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const HEALTH = { consecutive: 3, interval: "10ms", timeout: "2s", requestTimeout: "300ms" };

function context(url: string, route: "preview" | "live" = "preview"): GateContext {
  const target: HttpTarget = {
    baseUrl: url,
    host: "web.staging.example.com",
    headers: route === "preview" ? { "X-Preview": "true" } : {},
    route,
  };
  return {
    environment: "staging",
    app: "web",
    version: "6.8.0",
    colour: "blue",
    target,
    progress: () => {},
  };
}

describe("health gate (real HTTP on loopback)", () => {
  it("passes after N consecutive 2xx, a failure resetting the count", async () => {
    const statuses = [200, 500, 200, 200, 200];
    const server = await serve((_req, n) => ({ status: statuses[n - 1] ?? 200 }));
    try {
      const result = await healthGate("/healthz", HEALTH).check(context(server.url));
      expect(result.verdict).toBe("pass");
      expect(server.requests).toHaveLength(5);
      expect(result.latenciesMs).toHaveLength(5);
      expect(result.detail).toMatch(
        /^3 consecutive 2xx on GET \/healthz after 5 probe\(s\), p50 \d+ ms, max \d+ ms$/,
      );
    } finally {
      await server.close();
    }
  });

  it("sends the app host and the preview header to the base URL", async () => {
    const server = await serve(() => ({ status: 200 }));
    try {
      await healthGate("/healthz", { ...HEALTH, consecutive: 1 }).check(context(server.url));
      expect(server.requests[0].headers.host).toBe("web.staging.example.com");
      expect(server.requests[0].headers["x-preview"]).toBe("true");
      expect(server.requests[0].url).toBe("/healthz");
    } finally {
      await server.close();
    }
  });

  it("fails when the timeout runs out, naming the last answer", async () => {
    const server = await serve(() => ({ status: 503 }));
    try {
      const result = await healthGate("/healthz", { ...HEALTH, timeout: "200ms" }).check(
        context(server.url),
      );
      expect(result.verdict).toBe("fail");
      expect(result.detail).toMatch(
        /^GET \/healthz: not 3 consecutive 2xx within 200ms \(\d+ probes, last: 503 in \d+ ms\)$/,
      );
    } finally {
      await server.close();
    }
  });

  it("counts a connection refused as a failure", async () => {
    const server = await serve(() => ({ status: 200 }));
    await server.close();
    const result = await healthGate("/healthz", { ...HEALTH, timeout: "100ms" }).check(
      context(server.url),
    );
    expect(result.verdict).toBe("fail");
    expect(result.detail).toMatch(/ECONNREFUSED/);
  });

  it("counts a request with no answer within requestTimeout as a failure", async () => {
    const server = await serve(() => "hang");
    try {
      const result = await healthProbe("/healthz", { ...HEALTH, requestTimeout: "100ms" }).check(
        context(server.url),
      );
      expect(result.verdict).toBe("fail");
      expect(result.detail).toMatch(
        /^GET \/healthz: no answer within 100 ms after \d+ ms \(expected 2xx\)$/,
      );
    } finally {
      await server.close();
    }
  });
});

describe("smoke gates (real HTTP on loopback)", () => {
  const checks = [
    { path: "/", status: 200, body: "greetings from podinfo" },
    { path: "/version", status: 200, maxLatency: "50ms" },
    { path: "/missing", status: 404 },
  ];

  it("passes each check that gets its status, body and latency", async () => {
    const server = await serve((req) =>
      req.url === "/missing"
        ? { status: 404 }
        : { status: 200, body: '{"message":"greetings from podinfo v6.8.0"}' },
    );
    try {
      const results = await Promise.all(
        smokeGates(checks, "1s").map((g) => g.check(context(server.url))),
      );
      expect(results.map((r) => [r.gate, r.verdict])).toEqual([
        ["smoke GET /", "pass"],
        ["smoke GET /version", "pass"],
        ["smoke GET /missing", "pass"],
      ]);
    } finally {
      await server.close();
    }
  });

  it("fails on a wrong status, a missing body substring or a slow answer, saying which", async () => {
    const server = await serve((req) =>
      req.url === "/"
        ? { status: 200, body: "hello" }
        : req.url === "/version"
          ? { status: 200, delayMs: 120 }
          : { status: 500 },
    );
    try {
      const results = await Promise.all(
        smokeGates(checks, "1s").map((g) => g.check(context(server.url))),
      );
      expect(results.map((r) => r.verdict)).toEqual(["fail", "fail", "fail"]);
      expect(results[0].detail).toMatch(/^200 in \d+ ms: body without "greetings from podinfo"$/);
      expect(results[1].detail).toMatch(/^200 in \d+ ms: slower than 50ms$/);
      expect(results[2].detail).toMatch(/^500 in \d+ ms: expected status 404$/);
    } finally {
      await server.close();
    }
  });
});

describe("command gate", () => {
  it("passes on exit 0 and gives the command the preview route, app, version and colour", async () => {
    const script = `node -e 'const e=process.env; console.log([e.PREVIEW_URL,e.PREVIEW_HOST,e.PREVIEW_HEADER,e.APP,e.VERSION,e.COLOUR,e.ENVIRONMENT].join("|"))'`;
    const lines: string[] = [];
    const result = await commandGate(script, 10_000, process.cwd()).check({
      ...context("http://127.0.0.1:9"),
      progress: (line) => lines.push(line),
    });
    expect(result.verdict).toBe("pass");
    expect(lines).toContain(
      "  | http://127.0.0.1:9|web.staging.example.com|X-Preview: true|web|6.8.0|blue|staging",
    );
  });

  it("fails on a non-zero exit or a timeout, saying which", async () => {
    const failed = await commandGate("exit 3", 10_000, process.cwd()).check(context("http://x"));
    expect(failed).toMatchObject({ verdict: "fail", detail: "exit 3: exit 3" });
    const slow = await commandGate("sleep 5", 200, process.cwd()).check(context("http://x"));
    expect(slow).toMatchObject({ verdict: "fail", detail: "sleep 5: no result within 0.2s" });
  });
});

describe("bake", () => {
  it("runs rounds on every route until the time is up and aggregates per gate and route", async () => {
    const server = await serve(() => ({ status: 200 }));
    try {
      const outcome = await bake({
        durationMs: 150,
        intervalMs: 30,
        gates: [healthProbe("/healthz", HEALTH)],
        contexts: [context(server.url, "live"), context(server.url, "preview")],
        label: "bake 5%",
        progress: () => {},
      });
      expect(outcome.passed).toBe(true);
      expect(outcome.rounds).toBeGreaterThanOrEqual(3);
      expect(outcome.results.map((r) => r.route)).toEqual(["live", "preview"]);
      expect(outcome.results[0].detail).toMatch(
        new RegExp(`^${outcome.rounds}/${outcome.rounds} passed, p50`),
      );
      expect(server.requests.filter((r) => r.headers["x-preview"] === "true")).toHaveLength(
        outcome.rounds,
      );
    } finally {
      await server.close();
    }
  });

  it("a bake of 0s is one round", async () => {
    const server = await serve(() => ({ status: 200 }));
    try {
      const outcome = await bake({
        durationMs: 0,
        intervalMs: 1000,
        gates: [healthProbe("/healthz", HEALTH)],
        contexts: [context(server.url, "live")],
        label: "bake",
        progress: () => {},
      });
      expect(outcome).toMatchObject({ passed: true, rounds: 1 });
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it("ends at the first failure and reports it", async () => {
    const server = await serve((_req, n) => ({ status: n >= 4 ? 500 : 200 }));
    try {
      const outcome = await bake({
        durationMs: 10_000,
        intervalMs: 10,
        gates: [healthProbe("/healthz", HEALTH)],
        contexts: [context(server.url, "live")],
        label: "bake",
        progress: () => {},
      });
      expect(outcome.passed).toBe(false);
      expect(outcome.rounds).toBe(4);
      expect(outcome.failure?.detail).toMatch(/^GET \/healthz: 500 in \d+ ms \(expected 2xx\)$/);
      expect(outcome.results[0].detail).toMatch(/\(check 4 of 4\)$/);
    } finally {
      await server.close();
    }
  });

  const windowGate = (
    verdicts: ("pass" | "fail" | "inconclusive")[],
    mode: "enforce" | "observe" = "enforce",
  ) => {
    const windows: { startMs: number; endMs: number }[] = [];
    const gate: Gate = {
      name: "metrics",
      kind: "window",
      mode,
      check: async (c) => {
        windows.push(c.window!);
        const verdict = verdicts[Math.min(windows.length, verdicts.length) - 1];
        return {
          gate: "metrics",
          verdict,
          detail: `sample ${windows.length}`,
          route: c.target.route,
          durationMs: 1,
        };
      },
    };
    return { gate, windows };
  };
  const bakeWith = (gate: Gate, durationMs: number, extendWhenInconclusive = 0) => {
    const lines: string[] = [];
    const outcome = bake({
      durationMs,
      intervalMs: 10,
      gates: [gate],
      contexts: [context("http://127.0.0.1:9", "live")],
      label: "bake",
      progress: (line) => lines.push(line),
      extendWhenInconclusive,
    });
    return { outcome, lines };
  };

  it("judges window gates every round over the growing window, the last verdict counting", async () => {
    const { gate, windows } = windowGate(["inconclusive", "inconclusive", "pass"]);
    const { outcome } = bakeWith(gate, 60);
    const result = await outcome;
    expect(result.passed).toBe(true);
    expect(windows.length).toBeGreaterThanOrEqual(3);
    expect(new Set(windows.map((w) => w.startMs)).size).toBe(1);
    expect(windows.at(-1)!.endMs - windows[0].startMs).toBeGreaterThanOrEqual(60);
    expect(result.results).toEqual([expect.objectContaining({ gate: "metrics", verdict: "pass" })]);
  });

  it("fails at once on a window gate's fail", async () => {
    const { gate, windows } = windowGate(["pass", "fail"]);
    const result = await bakeWith(gate, 10_000).outcome;
    expect(result).toMatchObject({
      passed: false,
      rounds: 2,
      failure: { verdict: "fail", detail: "sample 2" },
    });
    expect(windows).toHaveLength(2);
  });

  it("extends the bake once when still inconclusive, then fails", async () => {
    const { gate } = windowGate(["inconclusive"]);
    const { outcome, lines } = bakeWith(gate, 30, 1);
    const result = await outcome;
    expect(result).toMatchObject({ passed: false, failure: { verdict: "inconclusive" } });
    expect(lines.filter((l) => l.includes("inconclusive (sample"))).toHaveLength(1);
    expect(lines.find((l) => l.includes("inconclusive (sample"))).toMatch(
      /^bake: metrics inconclusive \(sample \d+\): bake extended by 30ms$/,
    );
    expect(result.durationMs).toBeGreaterThanOrEqual(60);
  });

  it("an extension that turns conclusive passes", async () => {
    const { gate } = windowGate([
      "inconclusive",
      "inconclusive",
      "inconclusive",
      "inconclusive",
      "pass",
    ]);
    const result = await bakeWith(gate, 20, 1).outcome;
    expect(result.passed).toBe(true);
  });

  it("observe mode logs what it would have decided and never fails", async () => {
    const { gate } = windowGate(["fail"], "observe");
    const { outcome, lines } = bakeWith(gate, 30);
    const result = await outcome;
    expect(result.passed).toBe(true);
    expect(lines).toContain("observe mode: metrics would have failed: sample 1");
    expect(result.results[0]).toMatchObject({ verdict: "fail", observed: true });
  });
});
