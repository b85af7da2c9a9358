/**
 * `npm run pipeline -- apply <stack>` with real Terraform: it applies exactly the saved plan, and
 * refuses, changing nothing, when there is no saved plan or the state moved on since the plan
 * (another apply in between). The stack is Terraform's built-in terraform_data: no provider needed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applySavedPlan, PipelineError } from "../../scripts/lib/pipeline";
import { initValidatePlan, PLANNED_STATE } from "../../scripts/lib/terraform";

function stack(input: string, dir = mkdtempSync(join(tmpdir(), "apply-saved-plan-"))): string {
  writeFileSync(
    join(dir, "cdk.tf.json"),
    JSON.stringify({
      terraform: { backend: { local: { path: "state.tfstate" } } },
      resource: { terraform_data: { marker: { input } } },
    }),
  );
  return dir;
}

const applied = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "state.tfstate"), "utf8")).resources[0].instances[0].attributes
    .input.value;

test("applies exactly the saved plan, and records against which state it was made", () => {
  const dir = stack("v1");
  const plan = initValidatePlan(dir);
  expect(plan.resource_changes?.map((c) => c.change.actions)).toEqual([["create"]]);
  expect(JSON.parse(readFileSync(join(dir, PLANNED_STATE), "utf8"))).toEqual({
    lineage: null,
    serial: null,
  });
  // the configuration changes after the plan: the saved plan, not the file, is what is applied
  stack("edited after the plan", dir);
  applySavedPlan(dir);
  expect(applied(dir)).toBe("v1");
}, 120_000);

test("refuses a plan made against a state that changed since (another apply ran), changing nothing", () => {
  const dir = stack("v1");
  initValidatePlan(dir);
  applySavedPlan(dir);
  stack("v2", dir);
  initValidatePlan(dir);
  const state = JSON.parse(readFileSync(join(dir, "state.tfstate"), "utf8"));
  writeFileSync(join(dir, "state.tfstate"), JSON.stringify({ ...state, serial: state.serial + 1 }));
  let error: unknown;
  try {
    applySavedPlan(dir);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PipelineError);
  expect((error as PipelineError).exitCode).toBe(2);
  expect((error as Error).message).toBe(
    `${dir}: the state changed since the plan was made (planned against serial ${state.serial} of lineage ${state.lineage}, now serial ${state.serial + 1} of lineage ${state.lineage}); nothing was applied: plan again and review the new plan`,
  );
  expect(applied(dir)).toBe("v1");
}, 120_000);

test("refuses a stack folder without a saved plan", () => {
  const dir = stack("v1");
  expect(() => applySavedPlan(dir)).toThrow(
    `${dir}: no saved plan (plan.tfplan and plan.state.json); run npm run plan for this stack first, then apply what it saved`,
  );
});
