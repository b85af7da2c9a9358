#!/usr/bin/env node
/**
 * Helm post-renderer: puts the colour and the colour's real version on everything a release
 * renders, so that `kubectl get pods -L colour` shows which colour a pod belongs to.
 *
 *   node colour-labels.cjs <colour> <version>   (manifests on stdin, the result on stdout)
 *
 * On every object: `metadata.labels.colour` and `metadata.labels["app.kubernetes.io/version"]`
 * (overwriting the chart's, which is the chart's appVersion). On pod templates as well:
 * `spec.template` of Deployment, StatefulSet, DaemonSet, ReplicaSet (group apps or extensions) and
 * Job (batch), `spec.jobTemplate.spec.template` of CronJob (batch). Objects of a `kind: List`
 * (or any `*List` with `items`) are labelled item by item; the list itself has no labels.
 * Nothing else changes: selectors, StatefulSet volumeClaimTemplates, comments and the order of
 * documents are kept; empty documents are dropped.
 *
 * Plain CommonJS, no build step: cdktf copies this file into the stack folder as an asset and
 * the helm provider runs it with `node` on every install and upgrade.
 *
 * Exit codes: 0 done; 1 unreadable manifests (nothing written to stdout); 2 bad arguments or
 * the `yaml` package not found (nothing written to stdout).
 */
"use strict";

const path = require("node:path");

const NAME = "colour-labels";
const COLOURS = ["blue", "green"];
/** A Kubernetes label value (not empty): at most 63 characters, alphanumeric at both ends. */
const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const COLOUR_LABEL = "colour";
const VERSION_LABEL = "app.kubernetes.io/version";
/** Kinds whose `spec.template` is a pod template, by API group. */
const POD_TEMPLATE_KINDS = {
  Deployment: ["apps", "extensions"],
  StatefulSet: ["apps"],
  DaemonSet: ["apps", "extensions"],
  ReplicaSet: ["apps", "extensions"],
  Job: ["batch"],
};
/** The package whose dependencies hold `yaml` when this project is itself a dependency. */
const PLATFORM_PACKAGE = "@platform/aws-eks-platform";

class Failure extends Error {
  constructor(exitCode, message) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The colour and version from the command line, or a Failure (exit 2) naming the bad argument. */
function parseArguments(argv) {
  const usage = "usage: node colour-labels.cjs <blue|green> <version>";
  if (argv.length !== 2) {
    throw new Failure(2, `expected 2 arguments <colour> <version>, got ${argv.length} (${usage})`);
  }
  const [colour, version] = argv;
  if (!COLOURS.includes(colour)) {
    throw new Failure(2, `bad colour ${JSON.stringify(colour)}: expected blue or green`);
  }
  if (!LABEL_VALUE.test(version)) {
    throw new Failure(
      2,
      `bad version ${JSON.stringify(version)}: expected a label value: at most 63 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting and ending with a letter or digit`,
    );
  }
  return { colour, version };
}

/** Whether a loaded module is the `yaml` package, version 2 (the Document API used here). */
function isYaml2(module) {
  return (
    typeof module.parseAllDocuments === "function" &&
    typeof module.isMap === "function" &&
    typeof module.isSeq === "function"
  );
}

/**
 * Loads `yaml` (2.x): from this file's folder upwards (the project's node_modules when the stack
 * was synthesized inside the project), from the working directory (the stack folder) upwards,
 * then from the dependencies of this package installed in a consumer project.
 */
function loadYaml() {
  const tried = [];
  const attempt = (load, where) => {
    try {
      const module = load();
      if (isYaml2(module)) return module;
      tried.push(`${where} (found a yaml that is not version 2)`);
    } catch (error) {
      if (error.code !== "MODULE_NOT_FOUND") throw error;
      tried.push(where);
    }
    return undefined;
  };
  const fromDirectory = (directory) => () =>
    require(require.resolve("yaml", { paths: [directory] }));
  const fromPlatformPackage = () => {
    const manifest = require.resolve(`${PLATFORM_PACKAGE}/package.json`, {
      paths: [__dirname, process.cwd()],
    });
    return fromDirectory(path.dirname(manifest))();
  };
  const yaml =
    attempt(() => require("yaml"), __dirname) ??
    attempt(fromDirectory(process.cwd()), process.cwd()) ??
    attempt(fromPlatformPackage, `the dependencies of ${PLATFORM_PACKAGE}`);
  if (yaml) return yaml;
  throw new Failure(
    2,
    `cannot find the npm package yaml (version 2), looked from ${tried.join(", ")}: run npm ci in the project that synthesized this stack`,
  );
}

/** Reads all of stdin as UTF-8. */
function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

/**
 * Labels every object of the manifest stream and returns the new stream. Throws a Failure
 * (exit 1) when the stream is not YAML or an object's labels are not a map.
 */
function render(YAML, input, colour, version) {
  // YAML 1.1, as Helm and Kubernetes read manifests: `0644` stays octal, `yes`/`on` stay as written.
  const documents = YAML.parseAllDocuments(input, { version: "1.1", uniqueKeys: false });
  const list = Array.isArray(documents) ? documents : []; // an empty stream gives no documents
  for (const document of list) {
    const error = document.errors[0];
    // The first line of the message names the line and column; the rest is a source excerpt.
    if (error)
      throw new Failure(
        1,
        `cannot parse the manifests: ${error.message.split("\n")[0].replace(/:$/, "")}`,
      );
  }

  /** The map at `key` of `map`, created when missing or null; throws when it is something else. */
  const mapAt = (document, map, key, where) => {
    const node = map.get(key, true);
    if (node === undefined || node === null || (YAML.isScalar(node) && node.value === null)) {
      const created = document.createNode({});
      map.set(key, created);
      return created;
    }
    if (YAML.isMap(node)) return node;
    throw new Failure(1, `${where}.${key} is not a map`);
  };

  const setLabels = (document, owner, where) => {
    const metadata = mapAt(document, owner, "metadata", where);
    const labels = mapAt(document, metadata, "labels", `${where}.metadata`);
    for (const [key, value] of [
      [COLOUR_LABEL, colour],
      [VERSION_LABEL, version],
    ]) {
      // A duplicated key (parsed, last one wins in Kubernetes) is reduced to the one we set.
      while (labels.items.filter((pair) => keyOf(pair) === key).length > 1) labels.delete(key);
      labels.set(key, value);
    }
  };

  /** The pod template of a workload object, or undefined. */
  const podTemplate = (object) => {
    const kind = object.get("kind");
    const apiVersion = object.get("apiVersion");
    const group =
      typeof apiVersion === "string" && apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    const at = (node, ...keys) => {
      for (const key of keys) node = YAML.isMap(node) ? node.get(key, true) : undefined;
      return YAML.isMap(node) ? node : undefined;
    };
    if (Object.hasOwn(POD_TEMPLATE_KINDS, kind) && POD_TEMPLATE_KINDS[kind].includes(group)) {
      return { node: at(object, "spec", "template"), path: "spec.template" };
    }
    if (kind === "CronJob" && group === "batch") {
      return {
        node: at(object, "spec", "jobTemplate", "spec", "template"),
        path: "spec.jobTemplate.spec.template",
      };
    }
    return undefined;
  };

  const labelObject = (document, object, where) => {
    const kind = object.get("kind");
    const items = object.get("items", true);
    if (typeof kind === "string" && kind.endsWith("List") && YAML.isSeq(items)) {
      items.items.forEach((item, index) => {
        if (YAML.isMap(item)) labelObject(document, item, `${where}.items[${index}]`);
      });
      return;
    }
    const name = `${kind ?? "object"} ${JSON.stringify(object.getIn(["metadata", "name"]) ?? "")}`;
    setLabels(document, object, `${where} (${name})`);
    const template = podTemplate(object);
    if (template?.node) setLabels(document, template.node, `${where} (${name}) ${template.path}`);
  };

  const isEmpty = (document) =>
    document.contents === null ||
    (YAML.isScalar(document.contents) && document.contents.value === null);
  const kept = list.filter((document) => !isEmpty(document));
  kept.forEach((document, index) => {
    // Only objects (maps with a kind) are labelled; anything else passes through for Helm to judge.
    if (YAML.isMap(document.contents) && document.contents.has("kind")) {
      labelObject(document, document.contents, `document ${index + 1}`);
    }
  });
  return kept
    .map((document) => `---\n${document.toString({ directives: false, lineWidth: 0 })}`)
    .join("");
}

/** The key of a map pair as a plain value. */
function keyOf(pair) {
  return pair.key !== null && typeof pair.key === "object" && "value" in pair.key
    ? pair.key.value
    : pair.key;
}

async function main() {
  try {
    const { colour, version } = parseArguments(process.argv.slice(2));
    const YAML = loadYaml();
    const output = render(YAML, await readStdin(), colour, version);
    process.stdout.write(output);
  } catch (error) {
    const failure =
      error instanceof Failure ? error : new Failure(1, (error && error.stack) || String(error));
    process.stderr.write(`${NAME}: ${failure.message}\n`);
    process.exitCode = failure.exitCode;
  }
}

main();
