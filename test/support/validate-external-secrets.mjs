// Validates Kubernetes objects of external-secrets.io/v1 against the CRD schemas of
// @kubernetes-models/external-secrets (ESM only, hence a script run with `node`, not jest).
// Input on stdin: a JSON array of objects. Output on stdout: a JSON array with, per object, its
// kind and name and either "ok" or the validation error.
import { readFileSync } from "node:fs";
import {
  ExternalSecret,
  SecretStore,
} from "@kubernetes-models/external-secrets/external-secrets.io/v1";

const MODELS = { ExternalSecret, SecretStore };
const objects = JSON.parse(readFileSync(0, "utf8"));
const results = objects.map((object) => {
  const Model = MODELS[object.kind];
  const id = { kind: object.kind, name: object.metadata?.name };
  if (object.apiVersion !== "external-secrets.io/v1" || Model === undefined)
    return {
      ...id,
      error: `not an external-secrets.io/v1 SecretStore or ExternalSecret: ${object.apiVersion} ${object.kind}`,
    };
  try {
    new Model(object).validate();
    return { ...id, result: "ok" };
  } catch (error) {
    return { ...id, error: String(error.message ?? error) };
  }
});
process.stdout.write(JSON.stringify(results));
