/** Helm values of every release: deep merge and a deterministic rendering (sorted keys). */

/** Helm values: a YAML/JSON object. */
export type HelmValues = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/**
 * Merges `override` into `base` the way Helm merges values files: objects merge key by key,
 * anything else (scalars, arrays, `null`) from `override` replaces the value in `base`. `null`
 * is kept, because Helm reads it as "delete this key from the chart defaults". `undefined` in
 * `override` leaves `base` unchanged. Neither input is modified.
 */
export function deepMergeValues(base: HelmValues, override: HelmValues): HelmValues {
  const merged: HelmValues = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] =
      isPlainObject(current) && isPlainObject(value) ? deepMergeValues(current, value) : value;
  }
  return merged;
}

/** A copy with the keys of every object sorted, recursively; array order is kept. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

/**
 * Renders values for the `values` list of a `helm_release`: JSON (a subset of YAML, so Helm
 * reads it exactly: no YAML 1.1 surprises such as `yes` or `on` becoming booleans, no line
 * folding inside token markers), keys sorted so the same values always give the same text,
 * indented so a plan shows a line-by-line diff.
 */
export function renderValues(values: HelmValues): string {
  return JSON.stringify(sortKeys(values), undefined, 2);
}
