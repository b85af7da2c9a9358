/**
 * Each stack's Terraform JSON from one token resolution instead of three.
 *
 * cdktf 0.21 resolves every element of a stack in `TerraformStack.prepareStack()` (with
 * `preparing`, which is when cross-stack references register their outputs and remote state) and
 * throws the result away; `TerraformStack.toTerraform()` then resolves every element again, merges
 * the fragments and resolves the merged document a third time. Here the preparing resolution is
 * kept and is what the JSON is built from, and each resolution hands cdktf only the parts that
 * hold a token. The merged document is walked again only when the stack has overrides (given with
 * `addOverride` on the stack), the one part of it not resolved yet.
 *
 * {@link prepareStack} and {@link stackJson} are `TerraformStack.prepareStack` and
 * `TerraformStack.toTerraform` of node_modules/cdktf/lib/terraform-stack.js (0.21.0), step for
 * step, with that reuse. They rely on what those methods and cdktf's resolver
 * (cdktf/lib/tokens/private/resolve.js) do, so they are used only while the three functions are
 * the ones they were written against ({@link cdktfMatches}); otherwise synthesis takes cdktf's
 * own path. test/unit/stack-json.test.ts checks both the fingerprints and that the JSON equals
 * cdktf's.
 *
 * An element's configuration must not change between preparation and synthesis. The one thing in
 * between that may change it is an aspect (cdktf invokes aspects after preparing): a stack with an
 * aspect anywhere in it is resolved again by cdktf's own `toTerraform()`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  Aspects,
  DefaultTokenResolver,
  StringConcat,
  TerraformElement,
  TerraformOutput,
  TerraformStack,
  Token,
  Tokenization,
} from "cdktf";
import {
  containsNumberListTokenElement,
  containsStringListTokenElement,
} from "cdktf/lib/tokens/private/encoding";
import { resolve as cdktfResolve } from "cdktf/lib/tokens/private/resolve";
import { deepMerge } from "cdktf/lib/util";

/** cdktf's own resolver, as `cdktf/lib/_tokens.js` builds it. */
const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** `resolve` of cdktf/lib/_tokens.js: what TerraformStack uses. */
function resolve(scope: TerraformStack, value: unknown, preparing = false): unknown {
  return Tokenization.resolve(value, { scope, preparing, resolver: RESOLVER });
}

/** The nesting cdktf's resolve allows before it reports a circular reference. */
const MAX_DEPTH = 200;

/**
 * SHA-256 of the cdktf files whose code this file re-implements or relies on, as in cdktf 0.21.0:
 * `prepareStack`, `toTerraform` and `terraformElements` (terraform-stack.js), the resolver
 * (tokens/private/resolve.js), the token patterns (tokens/private/encoding.js) and `deepMerge`
 * (util.js). Any other cdktf, even a patch release, takes cdktf's own path until checked again.
 */
export const CDKTF_FILES: Readonly<Record<string, string>> = {
  "lib/terraform-stack.js": "cb4d04ed1dd586e9cf395b2f903453bea35e8a13b4f9c5872c1049d090e00bc2",
  "lib/tokens/private/resolve.js":
    "08c4dba33a40b05fd4f4c1957bd4102695c1b30df595bbb1ad1fb95fdc4a0382",
  "lib/tokens/private/encoding.js":
    "5afaace6c605ac7a2da2a91f5fe0142ff0beadb69bc0c3650e9d071d136fd29f",
  "lib/util.js": "0c07080443f1370efda3a4cb9781187b163ee4d930b04f93d08436dfd5243f02",
};

/** The SHA-256 of each file of {@link CDKTF_FILES} in the cdktf that is loaded. */
export function cdktfFingerprints(): Record<string, string> {
  const root = dirname(require.resolve("cdktf/package.json"));
  return Object.fromEntries(
    Object.keys(CDKTF_FILES).map((file) => [
      file,
      createHash("sha256")
        .update(readFileSync(join(root, file)))
        .digest("hex"),
    ]),
  );
}

let matches: boolean | undefined;
/** Whether the loaded cdktf is the one this file was written against (checked once). */
export function cdktfMatches(): boolean {
  if (matches === undefined) {
    const actual = cdktfFingerprints();
    matches = Object.entries(CDKTF_FILES).every(([file, hash]) => actual[file] === hash);
  }
  return matches;
}

/** The Terraform elements of a stack, not descending into nested stacks (cdktf's `terraformElements`). */
function terraformElements(node: TerraformStack): TerraformElement[] {
  const into: TerraformElement[] = [];
  const visit = (c: { node: { children: readonly unknown[] } }) => {
    if (TerraformElement.isTerraformElement(c)) into.push(c);
    for (const child of c.node.children as TerraformStack[]) {
      if (TerraformStack.isStack(child)) continue;
      visit(child);
    }
  };
  visit(node);
  return into;
}

/** Resolved configurations of the elements that existed when their stack was prepared. */
export type PreparedFragments = Map<TerraformElement, unknown>;

/**
 * `stack.prepareStack()`, keeping each element's resolved configuration in `fragments`: a
 * backend exists afterwards and every cross-stack reference has registered its output and remote
 * state.
 */
export function prepareStack(stack: TerraformStack, fragments: PreparedFragments): void {
  stack.ensureBackendExists();
  for (const element of terraformElements(stack))
    fragments.set(element, resolveRest(stack, element.toTerraform(), true));
}

/** Whether an aspect is registered anywhere in the stack (cdktf invokes them after preparing). */
function hasAspects(stack: TerraformStack): boolean {
  return stack.node.findAll().some((node) => Aspects.of(node).all.length > 0);
}

const isPlainObject = (value: object) => {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/** The number-token pattern of cdktf/lib/tokens/private/encoding.js (`NUMBER_TOKEN_REGEX`). */
const NUMBER_PATTERN = /[-|\d|.+]+(e[-|\d|.|e|E|+]+)/g;
const HAS_NUMBER_PATTERN = new RegExp(NUMBER_PATTERN.source);

/** Whether resolving a string could change it (it holds a token, or is an encoded map). */
function stringHoldsToken(value: string): boolean {
  if (value.includes("TfToken[")) return true;
  if (value === Token.STRING_MAP_TOKEN_VALUE || value === Token.ANY_MAP_TOKEN_VALUE) return true;
  // a number token in a string is a double of magnitude 1e288 or more (the marker bits of
  // encoding.js), which JavaScript writes as "<digits>e+<exponent>": a string without "e+" holds
  // none (found first, it spares the pattern's scan of every long string without one)
  if (!value.includes("e+") || !HAS_NUMBER_PATTERN.test(value)) return false;
  for (const match of value.matchAll(NUMBER_PATTERN))
    if (Token.isUnresolved(parseFloat(match[0]))) return true;
  return false;
}

const numberIsToken = (value: number) =>
  value === Token.NUMBER_MAP_TOKEN_VALUE || Token.isUnresolved(value);

/** Whether an array element holds a token (the cheap test before cdktf's list-token tests). */
const elementIsToken = (x: unknown) =>
  (typeof x === "string" && stringHoldsToken(x)) ||
  (typeof x === "number" && (numberIsToken(x) || Token.isUnresolved([x])));

/** Per stack and mode (preparing or not), what each token-holding string resolved to. */
const resolvedStrings = new WeakMap<TerraformStack, [Map<string, unknown>, Map<string, unknown>]>();

/**
 * A string holding a token, resolved once per stack and mode: the same reference (a namespace's
 * name, a role's ARN) recurs in many elements, and resolves to the same value in the same stack
 * (the context cdktf gives a token is the stack and the mode; registering a cross-stack output or
 * remote state happens on the first resolution and would find them registered on the next).
 * Only results that are primitives are kept, so no two places share an object; a resolution that
 * throws is not kept, and throws at each place, naming it.
 */
function resolvedString(
  stack: TerraformStack,
  value: string,
  preparing: boolean,
  cdktf: () => unknown,
): unknown {
  let caches = resolvedStrings.get(stack);
  if (!caches) resolvedStrings.set(stack, (caches = [new Map(), new Map()]));
  const cache = caches[preparing ? 1 : 0];
  if (cache.has(value)) return cache.get(value);
  const resolved = cdktf();
  if (resolved === null || (typeof resolved !== "object" && typeof resolved !== "function"))
    cache.set(value, resolved);
  return resolved;
}

/**
 * `resolve(stack, value, preparing)`, doing cdktf's work only where there is some: every part of
 * `value` that holds a token, or anything else cdktf's `resolve` treats specially (a resolvable, a
 * construct, a function, an object that is not plain, nesting past its depth limit), is resolved
 * by cdktf at its path (so errors name the same path); the rest (plain JSON) is returned as it is,
 * where cdktf would return an equal copy. Arrays and objects are copied only where a part changed
 * or an `undefined` is dropped.
 */
function resolveRest(
  stack: TerraformStack,
  value: unknown,
  preparing: boolean,
  prefix: string[] = [],
): unknown {
  const cdktf = () =>
    cdktfResolve(value, { scope: stack, preparing, resolver: RESOLVER, prefix: [...prefix] });
  switch (typeof value) {
    case "string":
      return stringHoldsToken(value) ? resolvedString(stack, value, preparing, cdktf) : value;
    case "number":
      return numberIsToken(value) ? cdktf() : value;
    case "function":
      return cdktf(); // throws what cdktf throws
    case "object":
      break;
    default:
      return value;
  }
  if (value === null || value instanceof Date) return value;
  if (prefix.length > MAX_DEPTH) return cdktf(); // cdktf's circular-reference error
  if (Array.isArray(value)) {
    // a list token among the elements makes cdktf resolve the array as a list; else it resolves
    // each element at its index, as here
    if (
      value.some(elementIsToken) &&
      (containsStringListTokenElement(value) || containsNumberListTokenElement(value))
    )
      return cdktf();
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      prefix.push(String(i));
      const resolved = resolveRest(stack, item, preparing, prefix);
      prefix.pop();
      if ((resolved !== item || resolved === undefined) && !copy) copy = value.slice(0, i);
      if (copy && resolved !== undefined) copy.push(resolved);
    }
    return copy ?? value;
  }
  if (!isPlainObject(value) || Tokenization.isResolvable(value)) return cdktf();
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.some(stringHoldsToken)) return cdktf();
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const item = record[key];
    prefix.push(key);
    const resolved = resolveRest(stack, item, preparing, prefix);
    prefix.pop();
    if ((resolved !== item || resolved === undefined) && !copy) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]] = record[keys[j]];
    }
    if (copy && resolved !== undefined) copy[key] = resolved;
  }
  return copy ?? value;
}

/**
 * `stack.toTerraform()`, from the fragments {@link prepareStack} kept: elements added since (the
 * outputs and remote state of cross-stack references) are resolved here, as cdktf would.
 */
export function stackJson(stack: TerraformStack, fragments: PreparedFragments): unknown {
  if (hasAspects(stack)) return TerraformStack.prototype.toTerraform.call(stack);
  // private fields of TerraformStack that its toTerraform() reads
  const { rawOverrides, cdktfVersion } = stack as unknown as {
    rawOverrides: Record<string, unknown>;
    cdktfVersion: unknown;
  };
  const tf: Record<string, unknown> = {};
  const metadata = {
    version: cdktfVersion,
    stackName: stack.node.id,
    backend: "local", // overwritten by backend implementations if used
    cloud: undefined, // overwritten by cloud and remote backend implementations
    ...(Object.keys(rawOverrides).length > 0
      ? { overrides: { stack: Object.keys(rawOverrides) } }
      : {}),
  };
  const elements = terraformElements(stack);
  for (const element of elements)
    deepMerge(metadata, resolveRest(stack, element.toMetadata(), false));
  const outputs = {};
  for (const item of elements) {
    if (!TerraformOutput.isTerraformOutput(item)) continue;
    deepMerge(
      outputs,
      item.node.path
        .split("/")
        .reduceRight<
          Record<string, unknown>
        >((inner, part) => (Object.keys(inner).length === 0 ? { [part]: item.friendlyUniqueId } : { [part]: inner }), {}),
    );
  }
  tf["//"] = { metadata, outputs };
  for (const element of elements)
    deepMerge(
      tf,
      fragments.has(element) ? fragments.get(element) : resolve(stack, element.toTerraform()),
    );
  deepMerge(tf, rawOverrides);
  // cdktf resolves the merged document once more; every part of it is resolved already (and a
  // resolution resolves again to itself) but "//" (whose `undefined` members that pass drops) and
  // what the stack's overrides put there: only those are walked
  tf["//"] = resolveRest(stack, tf["//"], false, ["//"]);
  return resolveOverridden(stack, tf, rawOverrides, []);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  isPlainObject(value) &&
  !Tokenization.isResolvable(value);

/**
 * `resolveRest(stack, value, false, prefix)` of a merged document whose parts are all resolved
 * but those `overrides` (merged into it with cdktf's `deepMerge`) put there: it descends only along
 * the overrides' keys and resolves each value an override gave in full.
 */
function resolveOverridden(
  stack: TerraformStack,
  value: unknown,
  overrides: unknown,
  prefix: string[],
): unknown {
  if (!isRecord(value) || !isRecord(overrides) || prefix.length > MAX_DEPTH)
    return resolveRest(stack, value, false, prefix);
  if (Object.keys(value).some(stringHoldsToken)) return resolveRest(stack, value, false, prefix);
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(overrides)) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue; // an `undefined` removed it
    const item = value[key];
    prefix.push(key);
    const resolved = resolveOverridden(stack, item, overrides[key], prefix);
    prefix.pop();
    if (resolved === item && resolved !== undefined) continue;
    copy ??= { ...value };
    if (resolved === undefined) delete copy[key];
    else copy[key] = resolved;
  }
  return copy ?? value;
}
