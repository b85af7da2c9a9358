// The cdktf app (cdktf.json runs it with tsx: transpile only, no type-check).
import { runMain } from "./stacks/run";

runMain();
