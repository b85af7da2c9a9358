/**
 * `npm run destroy -- <env>`: tears down a development-tier environment. Refuses the production
 * tier before anything runs; destroys `<env>-workloads`, then `<env>-infrastructure`, then deletes
 * the log groups AWS re-created outside Terraform. `PLATFORM_DEPLOY_COMMAND` replaces the deploy
 * tool (default `npx cdktf`), `PLATFORM_AWS_COMMAND` the AWS CLI (default `aws`).
 */
import { destroyEnvironment } from "./lib/destroy";

process.exit(destroyEnvironment(process.argv.slice(2)));
