/**
 * `npm run release -- <command> <env> <app> ...`: the blue/green release tool (README
 * "Releasing", DESIGN.md section 5). Exit codes: 0 done, 1 rolled back, 2 refused, 3 rollback failed.
 */
import { releaseMain } from "../release/cli";

releaseMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`release: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(3);
  },
);
