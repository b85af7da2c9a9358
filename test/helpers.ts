import { cpSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { parse, stringify } from "yaml";
import { parseEnvironment } from "../config/load";
import type { EnvironmentConfig } from "../config/schema";
import type { AwsEnvironment } from "../constructs/types";
import { InfrastructureStack } from "../stacks/infrastructure-stack";
import { WorkloadsStack } from "../stacks/workloads-stack";

export const REPO_ROOT = resolve(__dirname, "..");
export const ENVIRONMENTS_DIR = join(REPO_ROOT, "environments");

/** A synthesized stack as Terraform JSON. */
export interface StackJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  provider?: Record<string, Record<string, unknown>[]>;
  terraform?: Record<string, unknown>;
  output?: Record<string, { value: unknown }>;
}

export function synth(stack: TerraformStack): StackJson {
  return JSON.parse(Testing.synth(stack)) as StackJson;
}

/** Resources of one type, by Terraform name. */
export function resources(json: StackJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

/** The single resource of a type (fails the test when there is not exactly one). */
export function only(json: StackJson, type: string): Record<string, unknown> {
  const all = Object.values(resources(json, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** A fresh stack to put one construct under test in. */
export function testStack(id = "test"): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

export const TEST_AWS: AwsEnvironment = { account: "123456789012", region: "eu-west-1" };

/** The raw YAML data of a shipped environment file. */
export function rawEnvironment(name: string): Record<string, unknown> {
  return parse(readFileSync(join(ENVIRONMENTS_DIR, `${name}.yaml`), "utf8")) as Record<
    string,
    unknown
  >;
}

/** A shipped environment file, validated, with top-level sections replaced/merged. */
export function environment(
  name: string,
  edit: (raw: Record<string, unknown>) => void = () => {},
): EnvironmentConfig {
  const raw = rawEnvironment(name);
  edit(raw);
  const result = parseEnvironment(stringify(raw), name);
  if (!result.config)
    throw new Error(result.problems.map((p) => `${p.field}: ${p.expected}`).join("\n"));
  return result.config;
}

/** Writes environment files into a new temporary folder and returns it. */
export function environmentFolder(files: Record<string, string | Record<string, unknown>>): string {
  const dir = mkdtempSync(join(tmpdir(), "platform-env-"));
  mkdirSync(dir, { recursive: true });
  // the business dashboards the shipped files list (apps.<app>.dashboards), relative to them
  cpSync(join(ENVIRONMENTS_DIR, "dashboards"), join(dir, "dashboards"), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(
      join(dir, `${name}.yaml`),
      typeof content === "string" ? content : stringify(content),
    );
  }
  return dir;
}

/**
 * Parses a policy JSON string (as synthesized) into an object. Terraform expressions inside it
 * (`${replace(x, "https://", "")}`) may hold quotes that are only valid once Terraform has
 * interpolated them: they are escaped here so the expression text survives parsing.
 */
export function policy(text: unknown): { Statement: Record<string, unknown>[] } {
  const escaped = String(text).replace(/\$\{[^}]*\}/g, (expression) =>
    expression.replace(/(?<!\\)"/g, '\\"'),
  );
  return JSON.parse(escaped) as { Statement: Record<string, unknown>[] };
}

/** Every action of every Allow statement of a policy. */
export function allowedActions(text: unknown): string[] {
  return policy(text)
    .Statement.filter((s) => s.Effect === "Allow")
    .flatMap((s) => (Array.isArray(s.Action) ? (s.Action as string[]) : [s.Action as string]));
}

/** The aliased us-east-1 provider the CloudFront-facing constructs take (region overridable to test the check). */
export function usEast1Provider(stack: TerraformStack, region = "us-east-1"): AwsProvider {
  return new AwsProvider(stack, "aws-us-east-1", { alias: "us_east_1", region });
}

/** The lines of the validation error `build` throws; fails the test when it throws nothing. */
export function rejectionLines(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    return (error as Error).message.split("\n");
  }
  throw new Error("expected the props to be rejected");
}

/** Both stacks of a shipped environment file (optionally edited), synthesized as JSON. */
export function environmentStacks(
  name: string,
  offline = false,
  edit?: (raw: Record<string, any>) => void,
): { infrastructure: StackJson; workloads: StackJson } {
  const app = Testing.app();
  const config = environment(name, edit);
  const infrastructure = new InfrastructureStack(app, `${name}-infrastructure`, {
    environment: config,
    offline,
  });
  const workloads = new WorkloadsStack(app, `${name}-workloads`, {
    environment: config,
    offline,
    infrastructure,
  });
  app.synth();
  const read = (stack: TerraformStack) => JSON.parse(Testing.synth(stack)) as StackJson;
  return { infrastructure: read(infrastructure), workloads: read(workloads) };
}
