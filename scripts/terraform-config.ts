/**
 * `npm run terraform:config`: writes `.build/terraform.rc`, the Terraform CLI config the project's
 * scripts and tests use (hashicorp/aws from the local provider mirror when there is one), and
 * prints `export TF_CLI_CONFIG_FILE=...` for running Terraform by hand.
 */
import { findProviderMirror, writeCliConfig } from "./lib/terraform";

const path = writeCliConfig();
const mirror = findProviderMirror();
process.stderr.write(
  mirror
    ? `hashicorp/aws from the provider mirror at ${mirror}\n`
    : "no provider mirror found: providers come from the registry\n",
);
process.stdout.write(`export TF_CLI_CONFIG_FILE=${path}\n`);
