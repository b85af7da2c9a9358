/**
 * A consumer-style program that composes raw resources badly (for the synthesis gate's CLI test):
 * an S3 bucket with no encryption, public access block or TLS-only policy, and a role policy with
 * a wildcard action. Run with `tsx`; it synthesizes through the same path as `npm run synth`.
 */
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { synthesizeAndReport } from "../../stacks/run";

const app = new App();
const storage = new TerraformStack(app, "team-storage");
new AwsProvider(storage, "aws", { region: "eu-west-1" });
new S3Bucket(storage, "uploads", { bucket: "team-uploads" });
const access = new TerraformStack(app, "team-access");
new AwsProvider(access, "aws", { region: "eu-west-1" });
new IamRolePolicy(access, "admin", {
  role: "team-role",
  policy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::team-uploads/*" }],
  }),
});
synthesizeAndReport(app);
