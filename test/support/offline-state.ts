/**
 * A Terraform state built by hand, offline: what an earlier apply of a configuration would have
 * left, so `terraform plan -refresh=false` of a changed configuration shows the real updates,
 * replacements and deletions. Values AWS would compute (ids, ARNs, generated names) are filled
 * with placeholders of their schema type; the state is then re-planned until the configuration
 * plans no change, so every reference between resources agrees with the placeholders.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { terraform, terraformEnv, type PlanJson } from "../../scripts/lib/terraform";

type Attributes = Record<string, unknown>;
type SchemaType = string | [string, unknown, ...unknown[]];

interface ResourceSchema {
  readonly version: number;
  readonly block: { readonly attributes?: Record<string, { readonly type?: SchemaType }> };
}

const AWS = "registry.terraform.io/hashicorp/aws";

/** A placeholder of a schema type (strings name the resource and attribute they stand for). */
function placeholder(type: SchemaType | undefined, key: string, label: string): unknown {
  const name = `offline-${label}-${key}`.slice(0, 60).replace(/[^A-Za-z0-9-]/g, "-");
  // ARN attributes are checked for the ARN shape when another resource references them
  if (type === "string" && (key === "arn" || key.endsWith("_arn"))) {
    return `arn:aws:offline:eu-west-1:123456789012:${name}`;
  }
  if (type === "string") return name;
  if (type === "number") return 0;
  if (type === "bool") return false;
  if (Array.isArray(type) && (type[0] === "list" || type[0] === "set")) return [];
  if (Array.isArray(type) && type[0] === "map") return {};
  return null;
}

/**
 * `after` with every unknown top-level attribute taken from `computed`, else from `previous`,
 * else a placeholder.
 */
function settle(
  after: Attributes,
  unknown: Record<string, unknown>,
  computed: Attributes,
  previous: Attributes | undefined,
  schema: ResourceSchema,
  label: string,
): Attributes {
  const out: Attributes = { ...after };
  for (const [key, isUnknown] of Object.entries(unknown)) {
    if (isUnknown !== true) continue;
    out[key] =
      computed[key] ??
      previous?.[key] ??
      placeholder(schema.block.attributes?.[key]?.type, key, label);
  }
  return out;
}

/** Terraform's paths of the sensitive values in a plan's `after_sensitive` tree. */
function sensitivePaths(marks: unknown, path: object[] = []): object[][] {
  if (marks === true) return [path];
  if (Array.isArray(marks)) {
    return marks.flatMap((m, i) =>
      sensitivePaths(m, [...path, { type: "index", value: { value: i, type: "number" } }]),
    );
  }
  if (marks && typeof marks === "object") {
    return Object.entries(marks).flatMap(([k, m]) =>
      sensitivePaths(m, [...path, { type: "get_attr", value: k }]),
    );
  }
  return [];
}

interface StateResource {
  readonly mode: "managed";
  readonly type: string;
  readonly name: string;
  readonly provider: string;
  readonly instances: {
    schema_version: number;
    attributes: Attributes;
    sensitive_attributes: object[][];
  }[];
}

/**
 * Writes `terraform.tfstate` into an initialized stack folder (local backend, no remote state)
 * holding every managed resource of its current configuration as if it had been applied, and
 * returns the resource addresses. Throws when the configuration does not settle.
 */
export function applyOffline(
  stackDir: string,
  /** Values AWS would compute, by resource type, used instead of placeholders. */
  computed: Record<string, Attributes> = {},
  maxRounds = 5,
): string[] {
  const configFile = join(stackDir, "cdk.tf.json");
  const config = readFileSync(configFile, "utf8");
  // Placeholders of one round may disagree with references of the next and force a replacement
  // while the state settles: prevent_destroy would refuse it.
  writeFileSync(configFile, JSON.stringify(withoutPreventDestroy(JSON.parse(config))));
  try {
    return settleState(stackDir, computed, maxRounds);
  } finally {
    writeFileSync(configFile, config);
  }
}

function withoutPreventDestroy(config: {
  resource?: Record<string, Record<string, { lifecycle?: Record<string, unknown> }>>;
}) {
  for (const byName of Object.values(config.resource ?? {})) {
    for (const resource of Object.values(byName)) delete resource.lifecycle?.prevent_destroy;
  }
  return config;
}

function settleState(
  stackDir: string,
  computed: Record<string, Attributes>,
  maxRounds: number,
): string[] {
  const env = terraformEnv();
  const schemas = (
    JSON.parse(terraform(["providers", "schema", "-json"], stackDir, env).stdout) as {
      provider_schemas: Record<string, { resource_schemas: Record<string, ResourceSchema> }>;
    }
  ).provider_schemas[AWS].resource_schemas;
  const lineage = randomUUID();
  let state = new Map<string, StateResource>();
  for (let round = 1; round <= maxRounds; round++) {
    writeState(stackDir, lineage, round, [...state.values()]);
    terraform(
      ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", "-out=offline.tfplan"],
      stackDir,
      env,
    );
    const plan = JSON.parse(
      terraform(["show", "-json", "offline.tfplan"], stackDir, env).stdout,
    ) as PlanJson;
    const changes = (plan.resource_changes ?? []).filter(
      (c) => !c.address.startsWith("data.") && c.change.actions.join() !== "no-op",
    );
    if (changes.length === 0) return [...state.keys()];
    const next = new Map(state);
    for (const c of changes) {
      if (c.change.actions.join() === "delete") {
        next.delete(c.address);
        continue;
      }
      const schema = schemas[c.type];
      const previous = state.get(c.address)?.instances[0].attributes;
      next.set(c.address, {
        mode: "managed",
        type: c.type,
        name: c.name,
        provider: `provider["${AWS}"]`,
        instances: [
          {
            schema_version: schema.version,
            attributes: settle(
              c.change.after ?? {},
              c.change.after_unknown ?? {},
              computed[c.type] ?? {},
              previous,
              schema,
              c.name,
            ),
            // a value marked sensitive in the plan but not in the state would plan an update
            sensitive_attributes: sensitivePaths(
              (c.change as { after_sensitive?: unknown }).after_sensitive,
            ),
          },
        ],
      });
    }
    state = next;
  }
  throw new Error(`${stackDir}: the hand-built state did not settle in ${maxRounds} rounds`);
}

function writeState(dir: string, lineage: string, serial: number, resources: StateResource[]) {
  const state = {
    version: 4,
    terraform_version: "1.11.4",
    serial,
    lineage,
    outputs: {},
    resources,
  };
  writeFileSync(join(dir, "terraform.tfstate"), JSON.stringify(state, null, 2));
}
