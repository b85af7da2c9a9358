/**
 * What was last deployed: the `app_<name>` output of the workloads stack, read from a Terraform
 * state file (format version 4). One parser for both modes: normal mode fetches the state from
 * the S3 backend (`release/aws/s3-state.ts`), offline mode reads the local state file.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { COLOURS } from "../constructs/private/traffic";
import type {
  DeployedApp,
  DeployedStateResult,
  DeployedStateSource,
  StackOutputsSource,
} from "./types";

/** Terraform writes `null` for an unset output attribute; the release tool reads undefined. */
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  schema.nullish().transform((v) => v ?? undefined);

const colour = z.enum(COLOURS);
const weight = z.number().min(0).max(100);

const deployedAppSchema = z
  .object({
    host: optional(z.string()),
    namespace: optional(z.string()),
    stable_colour: colour,
    idle_colour: optional(colour),
    weights: z.object({ blue: weight, green: weight }),
    versions: optional(z.object({ blue: z.string(), green: z.string() })),
  })
  // the output carries more (release names, preview route, load balancer): kept as is
  .passthrough();

const stateSchema = z.object({
  version: z.number(),
  outputs: z.record(z.object({ value: z.unknown() }).passthrough()).optional(),
});

/**
 * The `app_<app>` output of a Terraform state (JSON text). A missing output is `found: false`
 * naming the outputs that are there; text that is not a v4 state, or an output of the wrong
 * shape, throws naming `location`.
 */
export function deployedAppFromState(
  stateJson: string,
  app: string,
  location: string,
): DeployedStateResult {
  const outputs = parseState(stateJson, location).outputs ?? {};
  const name = `app_${app}`;
  const output = outputs[name];
  if (!output) {
    const present = Object.keys(outputs).sort();
    return {
      found: false,
      location,
      reason: `no output ${name} in the workloads state (outputs present: ${present.length ? present.join(", ") : "none"}); is app ${app} deployed?`,
    };
  }
  const parsed = deployedAppSchema.safeParse(output.value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join(".") || "(value)"}: ${i.message}`,
    );
    throw new Error(
      `The output ${name} in the Terraform state ${location} is not an app release state: ${problems.join("; ")}`,
    );
  }
  const deployed: DeployedApp = parsed.data;
  return { found: true, app: deployed, location };
}

/** Every output value of a Terraform state (JSON text), by name; throws naming `location`. */
export function stackOutputsFromState(
  stateJson: string,
  location: string,
): Record<string, unknown> {
  const outputs = parseState(stateJson, location).outputs ?? {};
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}

/** A Terraform state v4 (JSON text); throws naming `location` when it is not one. */
function parseState(stateJson: string, location: string): z.infer<typeof stateSchema> {
  let json: unknown;
  try {
    json = JSON.parse(stateJson);
  } catch (error) {
    throw new Error(`The Terraform state ${location} is not JSON: ${(error as Error).message}`);
  }
  const state = stateSchema.safeParse(json);
  if (!state.success) {
    throw new Error(`The Terraform state ${location} is not a Terraform state file`);
  }
  if (state.data.version !== 4) {
    throw new Error(
      `The Terraform state ${location} has format version ${state.data.version}; the release tool reads version 4 (Terraform >= 0.12)`,
    );
  }
  return state.data;
}

/** The outputs of a stack from its local state file (offline mode). */
export class LocalStackOutputs implements StackOutputsSource {
  constructor(
    /** The state file path, e.g. `cdktf.out/stacks/dev-infrastructure/dev-infrastructure.tfstate`. */
    readonly location: string,
  ) {}

  /** {@inheritDoc StackOutputsSource.read} */
  async read(): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.location, "utf8");
    } catch (error) {
      throw new Error(
        `Cannot read the state ${this.location}: ${(error as Error).message} (is the stack deployed?)`,
      );
    }
    return stackOutputsFromState(text, this.location);
  }
}

/** The deployed state of offline mode: the workloads stack's local state file. */
export class LocalDeployedState implements DeployedStateSource {
  /** The state file path, e.g. `cdktf.out/stacks/dev-workloads/dev-workloads.tfstate`. */
  readonly location: string;

  constructor(readonly path: string) {
    this.location = path;
  }

  /** {@inheritDoc DeployedStateSource.read} */
  async read(app: string): Promise<DeployedStateResult> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return {
          found: false,
          location: this.location,
          reason: `no local state file ${this.path}`,
        };
      }
      throw new Error(
        `Cannot read the local state file ${this.path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    return deployedAppFromState(text, app, this.location);
  }
}
