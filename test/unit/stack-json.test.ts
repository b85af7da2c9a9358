/**
 * policy/private/stack-json.ts builds each stack's Terraform JSON from the resolution made when the
 * stack is prepared, re-implementing cdktf 0.21.0's `prepareStack` and `toTerraform`. These tests
 * fail when cdktf's files change underneath it (fingerprints), and show that its JSON is cdktf's
 * own for the shipped environments and for stacks with what resolution treats specially:
 * cross-stack references, overrides holding tokens, escapes, lazy values, number and list tokens,
 * iterators, and an aspect that changes a resource after preparation.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  App,
  Aspects,
  Fn,
  Lazy,
  TerraformIterator,
  TerraformLocal,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
  Token,
  type IAspect,
} from "cdktf";
import { invokeAspects } from "cdktf/lib/synthesize/synthesizer";
import { Construct, type IConstruct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import {
  CDKTF_FILES,
  cdktfFingerprints,
  cdktfMatches,
  prepareStack,
  stackJson,
  type PreparedFragments,
} from "../../policy/private/stack-json";
import { synthesizeWithPolicy } from "../../policy/synth";
import { buildApp } from "../../stacks/app";
import { ENVIRONMENTS_DIR } from "../helpers";

const stacksOf = (app: App) => app.node.findAll().filter(TerraformStack.isStack);

/** cdktf's own JSON of every stack: `prepareStack()` on all, then aspects and `toTerraform()`. */
function cdktfJson(app: App): unknown[] {
  const stacks = stacksOf(app);
  stacks.forEach((stack) => stack.prepareStack());
  return stacks.map((stack) => {
    invokeAspects(stack); // as cdktf's StackSynthesizer does, after preparing
    return stack.toTerraform();
  });
}

/** The same through stack-json.ts. */
function ourJson(app: App): unknown[] {
  const stacks = stacksOf(app);
  const fragments: PreparedFragments = new Map();
  stacks.forEach((stack) => prepareStack(stack, fragments));
  return stacks.map((stack) => {
    invokeAspects(stack);
    return stackJson(stack, fragments);
  });
}

test("the loaded cdktf is the one stack-json.ts was written against (else: check it again, then update CDKTF_FILES)", () => {
  expect(cdktfFingerprints()).toEqual(CDKTF_FILES);
  expect(cdktfMatches()).toBe(true);
});

test.each([false, true])(
  "the shipped environments (offline %s): the same JSON as cdktf's prepareStack and toTerraform",
  (offline) => {
    const build = () =>
      buildApp({
        environmentDirectory: ENVIRONMENTS_DIR,
        offline,
        today: "2026-01-15",
        outdir: mkdtempSync(join(tmpdir(), "stack-json-")),
      }).app;
    expect(JSON.stringify(ourJson(build()))).toBe(JSON.stringify(cdktfJson(build())));
  },
);

/** Sets `tags.aspect` on every bucket: after preparation, as aspects run. */
class TagBuckets implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof S3Bucket) node.tags = { aspect: "added" };
  }
}

/** Two stacks that exercise what resolution treats specially. */
function edgeCases(withAspect: boolean): App {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "stack-json-edge-")) });
  const producer = new TerraformStack(app, "producer");
  new AwsProvider(producer, "aws", { region: "eu-west-1" });
  const nested = new Construct(producer, "nested");
  const bucket = new S3Bucket(nested, "bucket", {
    bucketPrefix: "edge",
    tags: { literal: "$${not.a.reference}", number: "1e5", escaped: "${var.x}" },
  });
  const topic = new SnsTopic(producer, "topic", {
    name: Lazy.stringValue({ produce: () => `topic-${bucket.bucket}` }),
    deliveryPolicy: Lazy.anyValue({ produce: () => undefined }) as unknown as string,
  });
  new TerraformOutput(nested, "bucket-arn", { value: bucket.arn });
  const names = new TerraformVariable(producer, "names", { type: "list(string)" });
  const iterator = TerraformIterator.fromList(names.listValue);
  new SqsQueue(producer, "queues", {
    forEach: iterator,
    name: Token.asString(iterator.value),
    delaySeconds: Token.asNumber(Fn.lengthOf(names.listValue)),
  });
  new TerraformLocal(producer, "joined", Fn.join(",", [bucket.id, topic.arn, "plain"]));
  // arrays holding list tokens (resolved as lists) next to arrays holding plain tokens
  new TerraformLocal(producer, "lists", {
    strings: names.listValue,
    numbers: Token.asNumberList(names.value),
    mixed: [bucket.id, "plain", Token.asNumber(Fn.lengthOf(names.listValue))],
  });
  producer.addOverride("terraform.backend.local.path", "producer.tfstate");
  producer.addOverride("check.edge", {
    assert: [{ condition: Fn.lengthOf(names.listValue), error_message: `bucket ${bucket.id}` }],
    plain: [1, "two", undefined, { three: 3 }],
  });
  bucket.addOverride("lifecycle.ignore_changes", ["tags"]);
  // stack overrides reaching into a resource: a member removed, an array extended with a token,
  // and a token as a key (the only parts of the merged document resolved again)
  const address = `resource.aws_s3_bucket.${bucket.friendlyUniqueId}`;
  producer.addOverride(`${address}.tags.number`, undefined);
  producer.addOverride(`${address}.lifecycle.ignore_changes`, [names.stringValue]);
  producer.addOverride("locals.keyed", { [bucket.bucket]: "by token", plain: topic.arn });
  if (withAspect) Aspects.of(producer).add(new TagBuckets());

  const consumer = new TerraformStack(app, "consumer");
  new AwsProvider(consumer, "aws", { region: "eu-west-1" });
  new SqsQueue(consumer, "queue", {
    name: `from-${bucket.bucket}`,
    tags: { topic: topic.arn, count: Token.asString(Fn.lengthOf(names.listValue)) },
  });
  new TerraformOutput(consumer, "remote", { value: bucket.arn });
  consumer.addOverride("locals.remote", topic.name);
  return app;
}

test.each([false, true])(
  "cross-stack references, overrides with tokens, escapes, lazy values, iterators (aspect %s): cdktf's JSON",
  (withAspect) => {
    const ours = ourJson(edgeCases(withAspect));
    expect(JSON.stringify(ours)).toBe(JSON.stringify(cdktfJson(edgeCases(withAspect))));
    const consumer = JSON.stringify(ours[1]);
    expect(consumer).toContain("terraform_remote_state");
    expect(consumer).not.toContain("TfToken");
    if (withAspect) expect(JSON.stringify(ours[0])).toContain('"aspect":"added"');
  },
);

test("synthesizeWithPolicy writes the files App.synth() writes", () => {
  const files = (outdir: string) =>
    Object.fromEntries(
      readdirSync(join(outdir, "stacks")).map((stack) => [
        stack,
        readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"),
      ]),
    );
  const viaCdktf = edgeCases(false);
  viaCdktf.synth();
  const viaPolicy = edgeCases(false);
  expect(synthesizeWithPolicy(viaPolicy, { rules: [] }).written).toBe(true);
  expect(files(viaPolicy.outdir)).toEqual(files(viaCdktf.outdir));
});

test("a value cdktf cannot resolve fails with cdktf's own message, at the same path", () => {
  const broken = () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "stack-json-broken-")) });
    const stack = new TerraformStack(app, "broken");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    new S3Bucket(stack, "bucket", { bucketPrefix: "x" }).addOverride("tags.bad", () => "function");
    return app;
  };
  const message = (build: (app: App) => unknown) => {
    try {
      build(broken());
    } catch (error) {
      return (error as Error).message;
    }
    return "no error";
  };
  expect(message(ourJson)).toBe(message(cdktfJson));
  expect(message(ourJson)).toMatch(/tags\/bad/);
});
