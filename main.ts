// The cdktf app: cdktf.json runs it precompiled (node bin/synth.cjs --main: swc, no type-check).
import { runMain } from "./stacks/run";

runMain();
