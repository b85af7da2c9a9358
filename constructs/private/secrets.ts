/**
 * Secrets in AWS Secrets Manager as the platform names them: references (a secret's name or exact
 * ARN, and for a JSON secret one of its keys), the scope a secrets role may read (name prefixes
 * such as `prod/web/`, exact ARNs), and the checks the environment file and the NamespaceSecrets
 * construct share, so both say the same thing.
 */
import { ProblemList, type Problem } from "./validation";

/** One value of a Kubernetes Secret, read from AWS Secrets Manager. Names only, never a value. */
export interface SecretReference {
  /** The secret's name (e.g. `prod/web/api`) or its exact ARN (e.g. the RDS master secret). */
  readonly name: string;
  /** For a secret holding a JSON object: the key whose value is used. @default the whole secret string */
  readonly key?: string;
}

/**
 * What a secrets role may read: every secret whose name starts with one of `prefixes` (each ending
 * in `/`, e.g. `prod/web/`), and the secrets with exactly these `arns`.
 */
export interface SecretsScope {
  /** Name prefixes, each ending in `/`. @default none */
  readonly prefixes?: readonly string[];
  /** Exact secret ARNs (with the 6-character suffix Secrets Manager appends). @default none */
  readonly arns?: readonly string[];
}

/** A Secrets Manager secret name: 1-512 of letters, digits and `/_+=.@-`. */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/**
 * A Secrets Manager secret ARN; group 2 is the region, group 3 the account, group 4 the name with
 * its suffix. Secrets AWS services manage may have a `!` in their name (RDS: `rds!db-<id>`).
 */
export const SECRET_ARN =
  /^arn:aws(-cn|-us-gov)?:secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@!-]+)$/;
/** An environment variable name (the keys of an app's secrets and configuration). */
export const ENVIRONMENT_VARIABLE_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** A key of a Kubernetes Secret's data. */
export const SECRET_DATA_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
/** A JSON key of a secret (ESO's remoteRef.property: dots address nested keys). */
const PROPERTY = /^\S{1,256}$/;

/** The prefix of every secret of an app: `<env>/<app>/`. */
export function appSecretsPrefix(environment: string, app: string): string {
  return `${environment}/${app}/`;
}

/** The prefix of the monitoring namespace's secrets (alert receivers): `<env>/monitoring/`. */
export function monitoringSecretsPrefix(environment: string): string {
  return `${environment}/monitoring/`;
}

/** Whether a secret name or ARN is within the scope (a token is never within it). */
export function isWithinScope(name: string, scope: SecretsScope): boolean {
  if ((scope.arns ?? []).includes(name)) return true;
  return !SECRET_ARN.test(name) && (scope.prefixes ?? []).some((prefix) => name.startsWith(prefix));
}

function describeScope(scope: SecretsScope): string {
  const parts = [
    ...(scope.prefixes ?? []).map((p) => `a name starting with "${p}"`),
    ...(scope.arns ?? []).map((a) => `exactly ${a}`),
  ];
  return parts.length === 0 ? "nothing (the scope is empty)" : parts.join(" or ");
}

/**
 * Every problem with one reference at `field` (`<field>.name`, `<field>.key`). With a scope, the
 * name must be within it: a secret the role cannot read would only fail later, in the cluster.
 */
export function secretReferenceProblems(
  p: ProblemList,
  field: string,
  reference: SecretReference,
  scope?: SecretsScope,
  scopeReason = "the role of the secrets' SecretStore reads nothing else",
): void {
  const ref = reference as Partial<SecretReference> | undefined;
  if (typeof ref !== "object" || ref === null) {
    p.check(
      false,
      field,
      ref,
      "{ name, key? }: a Secrets Manager secret and, for a JSON secret, its key",
    );
    return;
  }
  p.checkValue(
    ref.name,
    (v) =>
      typeof v === "string" &&
      (SECRET_ARN.test(v) || (SECRET_NAME.test(v) && !v.startsWith("arn:"))),
    `${field}.name`,
    "a Secrets Manager secret name (1-512 letters, digits and /_+=.@-) or secret ARN",
  );
  if (scope !== undefined && typeof ref.name === "string") {
    p.checkValue(
      ref.name,
      (v) => isWithinScope(v, scope),
      `${field}.name`,
      `${describeScope(scope)} (${scopeReason})`,
    );
  }
  if (ref.key !== undefined) {
    p.checkValue(
      ref.key,
      (v) => typeof v === "string" && PROPERTY.test(v),
      `${field}.key`,
      "a key of the secret's JSON object (1-256 characters, no spaces), or no key for the whole secret",
    );
  }
}

/**
 * Every problem with an app's secrets (`apps.<app>.secrets`), fields relative to it
 * (`<ENV_NAME>`, `<ENV_NAME>.name`, `<ENV_NAME>.key`): each name is an environment variable name
 * and each secret is named `<env>/<app>/...`, the only secrets the app's role may read.
 */
export function appSecretsProblems(
  environment: string,
  app: string,
  secrets: Readonly<Record<string, SecretReference>>,
): Problem[] {
  const p = new ProblemList();
  const prefix = appSecretsPrefix(environment, app);
  for (const [variable, reference] of Object.entries(secrets)) {
    p.check(
      ENVIRONMENT_VARIABLE_NAME.test(variable),
      variable,
      variable,
      "an environment variable name: A-Z, 0-9 and _, not starting with a digit",
    );
    secretReferenceProblems(
      p,
      variable,
      reference,
      { prefixes: [prefix] },
      `the app's secrets role reads only ${prefix}*`,
    );
  }
  return [...p.problems];
}

/** The ServiceAccount (and SecretStore, Helm release) of an app's secrets: `<app>-secrets`. */
export function appSecretsServiceAccountName(app: string): string {
  return `${app}-secrets`;
}

/** The Kubernetes Secret holding an app's secrets (keys: the ENV names): `<app>-secrets`. */
export function appSecretName(app: string): string {
  return `${app}-secrets`;
}
