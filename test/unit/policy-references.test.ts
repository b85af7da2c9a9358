/**
 * The policy pack indexes references (`referencedAddresses`) instead of testing every pair of
 * resources with `refersTo`: the two must agree, for every attribute of every resource of the
 * shipped stacks against every resource and data source, and for hand-made edge cases.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { ruleContext, type StackDocument } from "../../policy/check";
import type { PolicyResource } from "../../policy/rule";
import { referencedAddresses, refersTo } from "../../policy/private/values";
import { buildApp } from "../../stacks/app";
import { ENVIRONMENTS_DIR } from "../helpers";

const target = (address: string) => ({ address }) as PolicyResource;

test("edge cases: attribute, index and whole-resource references, data sources, near misses", () => {
  const value = {
    a: "${aws_s3_bucket.logs.arn}",
    b: ["x-${aws_kms_key.key[0].arn}-y", "${data.aws_iam_policy_document.doc.json}"],
    c: "${aws_vpc.main}",
    d: "${aws_vpc.main_b.id} $${aws_vpc.escaped.id} ${lookup(aws_vpc.inside.tags, 1)}",
  };
  const addresses = referencedAddresses(value);
  for (const address of [
    "aws_s3_bucket.logs",
    "aws_kms_key.key",
    "data.aws_iam_policy_document.doc",
    "aws_vpc.main",
    "aws_vpc.main_b",
    "aws_vpc.escaped",
    "aws_vpc.inside",
    "aws_vpc.ma",
    "aws_s3_bucket",
    "lookup(aws_vpc",
  ])
    expect([address, addresses.has(address)]).toEqual([address, refersTo(value, target(address))]);
  expect(referencedAddresses(undefined).size).toBe(0);
  expect(referencedAddresses(42).size).toBe(0);
});

test("the shipped stacks: referencedAddresses(v).has(r.address) is refersTo(v, r) for every pair", () => {
  const { app } = buildApp({
    environmentDirectory: ENVIRONMENTS_DIR,
    today: "2026-01-15",
    outdir: mkdtempSync(join(tmpdir(), "policy-references-")),
  });
  const stacks = app.node.findAll().filter(TerraformStack.isStack);
  stacks.forEach((stack) => stack.prepareStack());
  let pairs = 0;
  for (const stack of stacks.filter((s) => s.node.id.startsWith("prod-"))) {
    const document = stack.toTerraform() as StackDocument;
    const context = ruleContext(stack.node.id, document, "production");
    const all = [
      ...Object.keys(document.resource ?? {}).flatMap((type) => context.resources(type)),
      ...Object.keys(document.data ?? {}).flatMap((type) => context.dataSources(type)),
    ];
    for (const resource of all)
      for (const value of Object.values(resource.config)) {
        const addresses = referencedAddresses(value);
        for (const other of all) {
          if (addresses.has(other.address) !== refersTo(value, other))
            throw new Error(`${resource.address} -> ${other.address}: ${JSON.stringify(value)}`);
          pairs += 1;
        }
      }
  }
  expect(pairs).toBeGreaterThan(100_000);
});
