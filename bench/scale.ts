/**
 * Environment folders of a given size for the scale benchmark: `environments` copies of dev.yaml
 * (each its own name, account and CIDR) with `apps` copies of its app each (own namespace and host).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";

/* eslint-disable @typescript-eslint/no-explicit-any -- edits YAML data of arbitrary shape */
export function scaledEnvironments(root: string, environments: number, apps: number): string {
  const dir = mkdtempSync(join(tmpdir(), `bench-scale-${environments}x${apps}-`));
  const template = parse(readFileSync(join(root, "environments/dev.yaml"), "utf8")) as Record<
    string,
    any
  >;
  const app = template.apps.web;
  for (let e = 0; e < environments; e++) {
    const name = `env${e}`;
    const account = String(100000000000 + e);
    const env = structuredClone(template);
    env.name = name;
    env.account = account;
    env.deployRoleArn = env.deployRoleArn.replace(/\d{12}/, account);
    env.pipeline.connectionArn = env.pipeline.connectionArn.replace(/\d{12}/, account);
    env.state.bucket = `bench-state-${name}`;
    env.network.cidr = `10.${e % 250}.0.0/16`;
    env.cluster.admins = env.cluster.admins.map((arn: string) => arn.replace(/\d{12}/, account));
    env.apps = {};
    for (let a = 0; a < apps; a++) {
      const id = `app${a}`;
      env.apps[id] = { ...structuredClone(app), namespace: id, host: `${id}.${name}.example.com` };
      delete env.apps[id].imageRepository;
      delete env.apps[id].secrets; // named <env>/web/..., readable by web's role only
    }
    writeFileSync(join(dir, `${name}.yaml`), stringify(env));
  }
  return dir;
}
