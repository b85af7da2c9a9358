/** The deployed release state: the workloads stack's `app_<name>` output in its Terraform state. */
import { readFileSync } from "node:fs";
import type { DeployedApp, DeployedStateResult, DeployedStateSource } from "./types";

/** Parses Terraform state (v4 JSON) text and returns the app's output. */
export function deployedAppFromState(
  stateText: string,
  app: string,
  location: string,
): DeployedStateResult {
  let state: { outputs?: Record<string, { value?: unknown }> };
  try {
    state = JSON.parse(stateText) as typeof state;
  } catch (error) {
    return {
      found: false,
      location,
      reason: `not Terraform state JSON: ${(error as Error).message}`,
    };
  }
  const output = state.outputs?.[`app_${app}`]?.value as DeployedApp | undefined;
  if (!output || typeof output !== "object") {
    const present = Object.keys(state.outputs ?? {});
    return {
      found: false,
      location,
      reason: `no output app_${app} (outputs: ${present.length > 0 ? present.join(", ") : "none"}): the app was never deployed`,
    };
  }
  return { found: true, app: output, location };
}

/** The local state file of offline mode. */
export class LocalDeployedState implements DeployedStateSource {
  constructor(
    /** Path of the `.tfstate` file. */
    readonly location: string,
  ) {}

  async read(app: string): Promise<DeployedStateResult> {
    let text: string;
    try {
      text = readFileSync(this.location, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return {
        found: false,
        location: this.location,
        reason: `no local state file ${this.location}`,
      };
    }
    return deployedAppFromState(text, app, this.location);
  }
}
