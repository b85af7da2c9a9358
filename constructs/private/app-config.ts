/**
 * An app's configuration (`apps.<app>.config`, pinned per colour in `release.<colour>.config`):
 * environment-variable names to plain strings, never a secret. Shared by the BlueGreenRelease
 * construct and the environment-file rules, so both say the same thing.
 */
import { ENVIRONMENT_VARIABLE_NAME } from "./secrets";
import type { Problem } from "./validation";

/**
 * One configuration value: a string, or a string with the reason it is not a secret although it
 * looks like one (`{ value, notSecret }`).
 */
export type ConfigValue = string | { readonly value: string; readonly notSecret: string };

/** An app's configuration: environment-variable name to value. */
export type AppConfiguration = Readonly<Record<string, ConfigValue>>;

/** What a configuration key or secret name must be: an environment-variable name (as secrets' keys). */
export const ENV_NAME = ENVIRONMENT_VARIABLE_NAME;
export const ENV_NAME_EXPECTED =
  "an environment-variable name: upper-case letters, digits and '_', not starting with a digit";

/** The shortest reason accepted for `notSecret`. */
const MIN_REASON = 10;

/** Key names that say "secret" (anywhere in the name, or as a whole word between '_'). */
const SECRET_KEY_NAME = [
  /PASSW(OR)?D|SECRET|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL/i,
  /(^|_)(TOKEN|PWD|AUTH_KEY)(_|$)/i,
];

/** Values that are secrets whatever their key, each with what it looks like. */
const SECRET_VALUE_PATTERNS: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a PEM private key"],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, "a GitHub token"],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/, "a Slack token"],
  [/hooks\.slack\.com\/services\//, "a Slack webhook URL"],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/, "a JSON Web Token"],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, "a URL with a password in it"],
  [/\bsk_(live|test)_[A-Za-z0-9]{16,}/, "a Stripe secret key"],
];

/** Shannon entropy in bits per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/**
 * Why a configuration entry looks like a secret, or undefined. A long random-looking token
 * (32+ characters of base64 or hex alphabet, no spaces, high entropy) counts too: keys and
 * passwords look like that, host names and paths do not.
 */
export function secretLikeness(key: string, value: string): string | undefined {
  if (SECRET_KEY_NAME.some((pattern) => pattern.test(key)))
    return `its name ${key} says it is a secret`;
  for (const [pattern, what] of SECRET_VALUE_PATTERNS) {
    if (pattern.test(value)) return `its value looks like ${what}`;
  }
  for (const word of value.split(/[\s,;]+/)) {
    if (word.length >= 32 && /^[A-Za-z0-9+/=_-]+$/.test(word) && entropy(word) >= 4) {
      return "its value looks like a random key (32 or more high-entropy characters)";
    }
  }
  return undefined;
}

/** The string of a configuration value (`value` of the `{ value, notSecret }` form). */
export function configString(value: ConfigValue): string {
  return typeof value === "string" ? value : value.value;
}

/**
 * Every problem with a configuration at `field` (e.g. `config` or `release.blue.config`): keys
 * are environment-variable names, values strings, and nothing that looks like a secret unless
 * its `notSecret` reason says why it is not.
 */
export function configProblems(config: unknown, field: string): Problem[] {
  const problems: Problem[] = [];
  if (config === undefined) return problems;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    return [
      { field, received: config, expected: "an object of environment-variable names to strings" },
    ];
  }
  for (const [key, entry] of Object.entries(config as Record<string, unknown>)) {
    const at = `${field}.${key}`;
    if (!ENV_NAME.test(key))
      problems.push({ field: at, received: key, expected: ENV_NAME_EXPECTED });
    let value: string;
    let reason: unknown;
    if (typeof entry === "string") {
      value = entry;
    } else if (
      typeof entry === "object" &&
      entry !== null &&
      !Array.isArray(entry) &&
      typeof (entry as { value?: unknown }).value === "string" &&
      Object.keys(entry).every((k) => k === "value" || k === "notSecret")
    ) {
      value = (entry as { value: string }).value;
      reason = (entry as { notSecret?: unknown }).notSecret;
      if (typeof reason !== "string" || reason.trim().length < MIN_REASON) {
        problems.push({
          field: `${at}.notSecret`,
          received: reason,
          expected: `the reason this value is not a secret, at least ${MIN_REASON} characters`,
        });
        continue;
      }
    } else {
      problems.push({
        field: at,
        received: entry,
        expected:
          typeof entry === "number" || typeof entry === "boolean"
            ? `a string: quote it in YAML ("${String(entry)}"); the app reads every value as an environment variable`
            : 'a string, or { value: "...", notSecret: "<why it is not a secret>" }',
      });
      continue;
    }
    if (reason !== undefined) continue;
    const why = secretLikeness(key, value);
    if (why) {
      problems.push({
        field: at,
        received: key,
        expected: `no secret in configuration (${why}): declare it under secrets (a Secrets Manager name; the value never enters the repository or Terraform state), or write { value: ..., notSecret: "<why it is not a secret>" }`,
      });
    }
  }
  return problems;
}

/** One environment variable a colour's pods get from the platform. */
export interface EnvironmentReference {
  /** Variable name. */
  readonly name: string;
  /** Where its value comes from: a ConfigMap or Secret key of the same name. */
  readonly from: { readonly kind: "configMap" | "secret"; readonly name: string };
}

/**
 * How the platform reaches into one chart's values: the environment variables and pod
 * annotations a colour's pods get. One adapter per chart layout, kept here, so adding a chart
 * means adding an adapter, not touching the release construct.
 */
export interface ChartAdapter {
  /** Chart name, for messages. */
  readonly chart: string;
  /**
   * Returns `values` with the variables added (after any the values already hold), or undefined
   * when the chart has no hook for environment variables.
   */
  withEnvironment?(
    values: Record<string, unknown>,
    variables: readonly EnvironmentReference[],
  ): Record<string, unknown>;
  /**
   * Names of the environment variables the chart itself sets from `values`: a colour's
   * configuration must not set them again (a duplicate `env` name hides the first and breaks
   * strategic-merge upgrades). @default none
   */
  chartEnvironment?(values: Record<string, unknown>): string[];
  /** Returns `values` with the pod annotations added. */
  withPodAnnotations(
    values: Record<string, unknown>,
    annotations: Record<string, string>,
  ): Record<string, unknown>;
}

function envVar(ref: EnvironmentReference): Record<string, unknown> {
  const key = { name: ref.from.name, key: ref.name };
  return {
    name: ref.name,
    valueFrom: ref.from.kind === "configMap" ? { configMapKeyRef: key } : { secretKeyRef: key },
  };
}

function podAnnotations(values: Record<string, unknown>, annotations: Record<string, string>) {
  const existing = (values.podAnnotations ?? {}) as Record<string, unknown>;
  return { ...values, podAnnotations: { ...existing, ...annotations } };
}

/**
 * podinfo 6.7.x: `extraEnvs` is copied verbatim into the container's `env`
 * (`templates/deployment.yaml`: `{{ toYaml .Values.extraEnvs | indent 10 }}`), the only hook for
 * environment variables its chart has; `podAnnotations` go on the pod template.
 */
export const PODINFO_ADAPTER: ChartAdapter = {
  chart: "podinfo",
  // templates/deployment.yaml sets these before extraEnvs when their value is non-empty;
  // values.yaml defaults ui.color to "#34577c", the others to "".
  chartEnvironment(values) {
    const ui = (values.ui ?? {}) as Record<string, unknown>;
    const set = (v: unknown, chartDefault = "") =>
      v === undefined ? chartDefault !== "" : v !== null && v !== "" && v !== false;
    // and the variables of `extraEnvs` (e.g. the traces endpoint the platform sets)
    const extra = (Array.isArray(values.extraEnvs) ? values.extraEnvs : []).flatMap((e: unknown) =>
      typeof e === "object" && e !== null && typeof (e as { name?: unknown }).name === "string"
        ? [(e as { name: string }).name]
        : [],
    );
    return [
      ...(set(ui.message) ? ["PODINFO_UI_MESSAGE"] : []),
      ...(set(ui.logo) ? ["PODINFO_UI_LOGO"] : []),
      ...(set(ui.color, "#34577c") ? ["PODINFO_UI_COLOR"] : []),
      ...(set(values.backend) ? ["PODINFO_BACKEND_URL"] : []),
      ...extra,
    ];
  },
  withEnvironment(values, variables) {
    const existing = Array.isArray(values.extraEnvs) ? values.extraEnvs : [];
    return { ...values, extraEnvs: [...existing, ...variables.map(envVar)] };
  },
  withPodAnnotations: podAnnotations,
};

/**
 * Charts made with `helm create`: `podAnnotations` on the pod template, and no hook for
 * environment variables (their `templates/deployment.yaml` renders no `env`).
 */
export const HELM_CREATE_ADAPTER: ChartAdapter = {
  chart: "helm create",
  withPodAnnotations: podAnnotations,
};
