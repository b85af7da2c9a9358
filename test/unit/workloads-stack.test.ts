import { Testing } from "cdktf";
import { InfrastructureStack } from "../../stacks/infrastructure-stack";
import { WorkloadsStack } from "../../stacks/workloads-stack";
import { environment, type StackJson } from "../helpers";

function stacks(name: string, offline = false, edit?: (raw: Record<string, any>) => void) {
  const app = Testing.app();
  const config = environment(name, edit);
  const infrastructure = new InfrastructureStack(app, `${name}-infrastructure`, {
    environment: config,
    offline,
  });
  const workloads = new WorkloadsStack(app, `${name}-workloads`, {
    environment: config,
    offline,
    infrastructure,
  });
  app.synth();
  const read = (stack: InfrastructureStack | WorkloadsStack) =>
    JSON.parse(Testing.synth(stack)) as StackJson;
  return { infrastructure: read(infrastructure), workloads: read(workloads) };
}

describe("WorkloadsStack providers", () => {
  const { workloads, infrastructure } = stacks("prod");
  const kubernetes = workloads.provider!.kubernetes[0] as Record<string, any>;
  const helm = (workloads.provider!.helm[0] as Record<string, any>).kubernetes;
  const remote =
    "data.terraform_remote_state.cross-stack-reference-input-prod-infrastructure.outputs";

  test("reads the cluster endpoint, CA and name from the infrastructure stack's remote state", () => {
    expect(
      workloads.data!.terraform_remote_state["cross-stack-reference-input-prod-infrastructure"],
    ).toMatchObject({
      backend: "s3",
      config: {
        bucket: "example-tfstate-prod",
        key: "prod-infrastructure.tfstate",
        region: "eu-west-1",
      },
    });
    for (const connection of [kubernetes, helm]) {
      expect(connection.host).toMatch(
        new RegExp(
          `^\\$\\{${remote.replace(/\./g, "\\.")}\\.cross-stack-output-aws_eks_cluster.*endpoint\\}$`,
        ),
      );
      expect(connection.cluster_ca_certificate).toMatch(
        /^\$\{base64decode\(data\.terraform_remote_state\..*certificate_authority0data\)\}$/,
      );
    }
  });

  test("the infrastructure stack exports what the workloads stack references", () => {
    const outputs = Object.keys(infrastructure.output ?? {});
    expect(outputs.filter((o) => o.startsWith("cross-stack-output-aws_eks_cluster"))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/endpoint$/),
        expect.stringMatching(/certificate_authority0data$/),
        expect.stringMatching(/name$/),
      ]),
    );
  });

  test("authenticates with aws eks get-token, assuming the deploy role", () => {
    for (const connection of [kubernetes, helm]) {
      expect([connection.exec].flat()[0]).toEqual({
        api_version: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: [
          "eks",
          "get-token",
          "--cluster-name",
          expect.stringMatching(/cross-stack-output-aws_eks_cluster.*name\}$/),
          "--region",
          "eu-west-1",
          "--role-arn",
          "arn:aws:iam::123456789012:role/platform-deploy",
          "--output",
          "json",
        ],
      });
      expect(connection.token).toBeUndefined();
    }
  });

  test("no --role-arn without a deploy role", () => {
    const { workloads: noRole } = stacks("dev", false, (raw) => delete raw.deployRoleArn);
    expect(
      [(noRole.provider!.kubernetes[0] as Record<string, any>).exec].flat()[0].args,
    ).not.toContain("--role-arn");
  });

  test("its own S3 state key", () => {
    expect((workloads.terraform!.backend as Record<string, any>).s3).toMatchObject({
      key: "prod-workloads.tfstate",
      encrypt: true,
      use_lockfile: true,
    });
  });

  test("offline it still synthesizes, with local state next to the infrastructure state", () => {
    const { workloads: offline } = stacks("prod", true);
    expect(offline.terraform!.backend).toEqual({
      local: { path: "../prod-workloads/prod-workloads.tfstate" },
    });
    expect(
      offline.data!.terraform_remote_state["cross-stack-reference-input-prod-infrastructure"],
    ).toMatchObject({
      backend: "local",
      config: { path: "../prod-infrastructure/prod-infrastructure.tfstate" },
    });
  });
});
