/**
 * Running Terraform the project's way: a CLI config that installs hashicorp/aws from the local
 * provider mirror when there is one (no network needed), version checks off, no prompts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** Providers the mirror may hold; all others are installed from their registry. */
const MIRRORED_PROVIDER = "registry.terraform.io/hashicorp/aws";

/** Folders searched for a provider mirror, after `PLATFORM_PROVIDER_MIRROR`. */
const MIRROR_CANDIDATES = [
  "/opt/tf-plugins",
  "/usr/local/share/terraform/plugins",
  "/usr/share/terraform/plugins",
  join(homedir(), ".terraform.d", "plugins"),
  join(homedir(), ".local", "share", "terraform", "plugins"),
];

/** The filesystem mirror holding hashicorp/aws, or undefined (then Terraform uses the registry). */
export function findProviderMirror(): string | undefined {
  const explicit = process.env.PLATFORM_PROVIDER_MIRROR;
  const candidates = explicit ? [explicit] : MIRROR_CANDIDATES;
  return candidates.find((dir) => existsSync(join(dir, MIRRORED_PROVIDER)));
}

/** The Terraform CLI config text for a mirror (or none). */
export function cliConfigText(mirror: string | undefined): string {
  if (!mirror) return "# No local provider mirror found: providers come from their registries.\n";
  return [
    "# Written by scripts/lib/terraform.ts: hashicorp/aws from the local mirror, others direct.",
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    `    include = [${JSON.stringify(MIRRORED_PROVIDER)}]`,
    "  }",
    "  direct {",
    `    exclude = [${JSON.stringify(MIRRORED_PROVIDER)}]`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Writes the CLI config (default `.build/terraform.rc`) and returns its absolute path. */
export function writeCliConfig(path = resolve(".build", "terraform.rc")): string {
  mkdirSync(dirname(path), { recursive: true });
  const text = cliConfigText(findProviderMirror());
  if (!existsSync(path) || readFileSync(path, "utf8") !== text) writeFileSync(path, text);
  return path;
}

/** Environment for Terraform: our CLI config, no version checks, no prompts. */
export function terraformEnv(cliConfig = writeCliConfig()): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
  };
}

/** Output of a successful Terraform command. */
export interface TerraformResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `terraform <args>` in a folder; throws with Terraform's own output when it fails. */
export function terraform(
  args: readonly string[],
  cwd: string,
  env = terraformEnv(),
): TerraformResult {
  const result = spawnSync("terraform", [...args], {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
  if (result.error) throw new Error(`terraform ${args[0]}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `terraform ${args.join(" ")} failed in ${cwd} (exit ${result.status}):\n${result.stderr || result.stdout}`,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

/** A path into a resource's attributes, as Terraform writes it (`["ingress", 0, "cidr_blocks"]`). */
export type AttributePath = readonly (string | number)[];

/** One entry of `resource_changes` in `terraform show -json <plan>`. */
export interface PlanResourceChange {
  readonly address: string;
  /** The address before a `moved` block renamed it. */
  readonly previous_address?: string;
  readonly mode?: "managed" | "data";
  readonly type: string;
  readonly name: string;
  /** Set for a deposed object (a leftover of an interrupted create-before-destroy). */
  readonly deposed?: string;
  readonly change: {
    /** `["create"]`, `["update"]`, `["delete"]`, `["delete","create"]`, `["create","delete"]`, `["no-op"]`, `["read"]`, `["forget"]`. */
    readonly actions: string[];
    readonly before?: Record<string, unknown> | null;
    readonly after?: Record<string, unknown>;
    /** Attributes known only after apply (e.g. ARNs of resources still to be created). */
    readonly after_unknown?: Record<string, unknown>;
    /** The attributes whose change forces the replacement. */
    readonly replace_paths?: AttributePath[];
  };
  /** Why Terraform chose the action, e.g. `replace_because_cannot_update`. */
  readonly action_reason?: string;
}

/** The parts of `terraform show -json <plan>` the project reads. */
export interface PlanJson {
  readonly format_version?: string;
  readonly terraform_version?: string;
  readonly resource_changes?: PlanResourceChange[];
  readonly planned_values?: unknown;
  readonly prior_state?: unknown;
  readonly configuration?: unknown;
}

/**
 * Runs `terraform init -backend=false` and `validate` in a synthesized stack folder: checks every
 * resource and provider argument against the provider schemas with no state and no credentials.
 */
export function initAndValidate(stackDir: string, log: (line: string) => void = () => {}): void {
  const env = terraformEnv();
  log("init -backend=false");
  terraform(["init", "-input=false", "-no-color", "-backend=false"], stackDir, env);
  log("validate");
  terraform(["validate", "-no-color"], stackDir, env);
}

/** Runs init, validate and plan in a synthesized stack folder and returns the plan as JSON. */
export function initValidatePlan(
  stackDir: string,
  log: (line: string) => void = () => {},
  options: { readonly offline?: boolean } = { offline: true },
): PlanJson {
  const env = terraformEnv();
  log("init");
  terraform(["init", "-input=false", "-no-color"], stackDir, env);
  log("validate");
  terraform(["validate", "-no-color"], stackDir, env);
  log("plan");
  // offline there is no API to refresh from and no lock to take; online the plan refreshes (it
  // must see drift) and waits for the state lock of an apply in progress
  const mode = options.offline
    ? ["-lock=false", "-refresh=false"]
    : ["-lock=true", "-lock-timeout=10m"];
  terraform(["plan", "-input=false", "-no-color", ...mode, `-out=${SAVED_PLAN}`], stackDir, env);
  writeFileSync(
    join(stackDir, PLANNED_STATE),
    `${JSON.stringify(stateFingerprint(stackDir, env))}\n`,
  );
  const shown = terraform(["show", "-json", SAVED_PLAN], stackDir, env);
  return JSON.parse(shown.stdout) as PlanJson;
}

/** The saved plan's file name in a stack folder (the pipeline applies exactly this file). */
export const SAVED_PLAN = "plan.tfplan";
/** The state the saved plan was made against (lineage and serial), next to the plan. */
export const PLANNED_STATE = "plan.state.json";

/** Which state a plan was made against: Terraform's lineage and serial (both null: no state yet). */
export interface StateFingerprint {
  readonly lineage: string | null;
  readonly serial: number | null;
}

/** The stack's current state fingerprint (`terraform state pull`; the folder must be initialized). */
export function stateFingerprint(stackDir: string, env = terraformEnv()): StateFingerprint {
  const pulled = terraform(["state", "pull"], stackDir, env).stdout.trim();
  if (!pulled) return { lineage: null, serial: null };
  const state = JSON.parse(pulled) as { lineage?: string; serial?: number };
  return { lineage: state.lineage ?? null, serial: state.serial ?? null };
}
