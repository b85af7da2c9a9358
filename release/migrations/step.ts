/**
 * Schema migrations inside a release (issue 16, section 4), expand/contract:
 * - `start` (and `run`) migrate after the pre-deployment backup and before the idle colour gets
 *   the new version. The migration must keep the stable colour working on the new schema, so
 *   the stable colour's health and smoke checks run again right after it; a failure stops the
 *   release (exit 1) before any colour or traffic change, notifies, and prints the runbook.
 * - `release contract <env> <app>` runs the destructive steps once the previous version serves
 *   no traffic (after a promote).
 * A version whose migration succeeded is never migrated again (the journal says so; the Job of
 * that version, kept as the record, says so too). The release lock keeps two migrations of one
 * database apart; migration tools' advisory locks are the second guard.
 */
import { durationMs, formatDuration } from "../../config/duration";
import { otherColour } from "../../constructs/private/traffic";
import { databaseRoles } from "../../constructs/private/database-access";
import { ReleaseRefusal } from "../environment-file";
import { describeTraffic, ReleaseFailed, type ReleaseSession } from "../session";
import type { JournalEvent, MigrationRequest } from "../types";

/** A release stopped before any colour or traffic change (exit 1): nothing to roll back. */
export class ReleaseStopped extends ReleaseFailed {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseStopped";
  }
}

/** The image a migration runs in: `migrations.image` (tagged with the version unless it has a tag or digest), else the app image. */
export function migrationImage(session: ReleaseSession, version: string): string {
  const app = session.app;
  const configured = app.migrations?.image;
  const values = app.values as { image?: { repository?: unknown } };
  const repository =
    configured ?? (typeof values.image?.repository === "string" ? values.image.repository : "");
  if (!repository) {
    throw new ReleaseRefusal(
      `apps.${session.options.app}.migrations.image: received nothing; expected the image the migration runs in (the app's values have no image.repository to default to)`,
    );
  }
  const lastPart = repository.slice(repository.lastIndexOf("/") + 1);
  return repository.includes("@") || lastPart.includes(":")
    ? repository
    : `${repository}:${version}`;
}

/** Whether the journal records a successful migration of `version` in `phase`. */
export function migratedBefore(
  events: readonly JournalEvent[],
  version: string,
  phase: "expand" | "contract",
): JournalEvent | undefined {
  return [...events]
    .reverse()
    .find(
      (e) =>
        e.step === "migrated" &&
        e.outcome === "ok" &&
        e.version === version &&
        (e.phase ?? "expand") === phase,
    );
}

/** The runbook printed when a migration leaves the stable colour failing (or fails itself). */
export function migrationRunbook(
  session: ReleaseSession,
  version: string,
  snapshotId: string | undefined,
): string {
  const { environment, app } = session.options;
  const config = session.app;
  const roles = databaseRoles(app);
  const lines = [
    `Runbook (README, "Databases and migrations"): the stable colour must work on the schema again.`,
  ];
  const down = config.migrations?.down;
  lines.push(
    down
      ? `  1. Undo the migration: run its down command as ${roles.migrator} in the same image (${migrationImage(session, version)}): ${down.join(" ")}`
      : `  1. Undo the migration by hand as ${roles.migrator} (apps.${app}.migrations.down is not set, so the tool has no down command to show)`,
  );
  lines.push(
    snapshotId
      ? `  2. Or restore the snapshot taken moments before: ${snapshotId} (restore into a new instance, then point the environment at it: README, "Restoring the pre-release backup")`
      : `  2. No pre-release snapshot was taken (release.backup is off in this tier): restore from the latest automated backup (point-in-time) if the down migration cannot repair it`,
  );
  lines.push(
    `  3. Check the stable colour: npm run release -- verify ${environment} ${app} checks the idle colour; curl https://${config.host}${config.healthPath} checks the stable one`,
    `  4. Fix the migration so it is backward compatible (expand only: npm run release -- lint-migrations <dir> --phase expand), then start again`,
  );
  return lines.join("\n");
}

/**
 * The migrate step of `start`: runs `apps.<app>.migrations` for `version`, then re-checks the
 * stable colour. Throws {@link ReleaseStopped} (exit 1) with the runbook when the migration
 * fails or breaks the stable colour; nothing has been deployed at that point.
 */
export async function migrateBeforeStart(
  session: ReleaseSession,
  version: string,
  snapshotId?: string,
): Promise<void> {
  const app = session.app;
  const migrations = app.migrations;
  if (!migrations || !app.database) return;
  const request: MigrationRequest = {
    environment: session.options.environment,
    app: session.options.app,
    namespace: app.namespace,
    version,
    phase: "expand",
    image: migrationImage(session, version),
    command: migrations.command,
    database: app.database.name,
    timeoutMs: durationMs(migrations.timeout),
  };
  const done = migratedBefore(await session.options.backends.journal.read(), version, "expand");
  if (done) {
    session.progress(
      `the migration of ${version} succeeded at ${done.time} (${done.message ?? "journal"}): not run again`,
    );
    return;
  }
  await runMigration(session, request, snapshotId);
}

/** `release contract <env> <app>`: the destructive migration, once the old colour serves nothing. */
export async function contract(session: ReleaseSession): Promise<{ summary: string }> {
  const app = session.app;
  const name = session.options.app;
  const snapshot = session.snapshot;
  const stable = snapshot.stable;
  const old = otherColour(stable);
  const command = app.migrations?.contract;
  if (!app.migrations || !app.database || !command) {
    throw new ReleaseRefusal(
      `apps.${name}.migrations.contract: received nothing; expected the contract command (the destructive steps run after a promote)`,
    );
  }
  if (snapshot.canaryWeight > 0) {
    throw new ReleaseRefusal(
      `a canary is in progress (${describeTraffic(snapshot)}): contract runs only after the promote, once the previous version serves no traffic`,
    );
  }
  const version = snapshot[stable].version;
  const events = await session.options.backends.journal.read();
  const promoted = [...events].reverse().find((e) => e.step === "promoted" && e.outcome === "ok");
  if (!promoted || promoted.to?.stable !== stable || promoted.to?.[stable].version !== version) {
    throw new ReleaseRefusal(
      `the journal has no promote of ${stable} ${version}: contract follows the promote of the version whose expand migration it completes`,
    );
  }
  const done = migratedBefore(events, version, "contract");
  if (done) {
    return { summary: `the contract migration of ${version} already succeeded at ${done.time}` };
  }
  await runMigration(session, {
    environment: session.options.environment,
    app: name,
    namespace: app.namespace,
    version,
    phase: "contract",
    image: migrationImage(session, version),
    command,
    database: app.database.name,
    timeoutMs: durationMs(app.migrations.timeout),
  });
  return {
    summary: `contract migration of ${version} applied; ${old} (${snapshot[old].version}, no traffic) may no longer work on this schema: start the next version over it`,
  };
}

/** Runs one migration, journals and notifies it, and (expand) re-checks the stable colour. */
async function runMigration(
  session: ReleaseSession,
  request: MigrationRequest,
  snapshotId?: string,
): Promise<void> {
  const { version, phase } = request;
  const label = `${phase} migration of ${version}`;
  if (session.options.dryRun) {
    session.progress(
      `dry run: would run the ${label} (${request.command.join(" ")} in ${request.image}, as ${databaseRoles(request.app).migrator})${phase === "expand" ? ", then re-check the stable colour" : ""}`,
    );
    return;
  }
  const runner = session.options.backends.migrations;
  if (!runner) {
    session.progress(
      `offline: no database to migrate (set PLATFORM_MIGRATION_DATABASE_URL to run ${request.command.join(" ")} here; normal mode runs it as a Kubernetes Job)`,
    );
    return;
  }
  await session.keepAlive();
  session.progress(`running the ${label} (${runner.location}): ${request.command.join(" ")}`);
  const started = Date.now();
  let outcome;
  try {
    outcome = await runner.run(request, (line) => session.options.stderr(`    ${line}`));
  } catch (error) {
    outcome = {
      outcome: "failed" as const,
      reason: `could not be run: ${(error as Error).message}`,
      durationMs: Date.now() - started,
      where: runner.location,
    };
  }
  if (outcome.outcome === "already-succeeded") {
    session.progress(`the ${label} succeeded before (${outcome.where}): not run again`);
  }
  const failed = outcome.outcome === "failed";
  await session.journal({
    step: "migrated",
    phase,
    outcome: failed ? "failed" : "ok",
    version,
    durationMs: outcome.durationMs,
    message: failed
      ? `the ${label} failed: ${outcome.reason} (${outcome.where})`
      : `the ${label} ${outcome.outcome === "already-succeeded" ? "had already succeeded" : `succeeded in ${formatDuration(outcome.durationMs)}`} (${outcome.where})`,
  });
  if (!failed) session.progress(`${label} done in ${formatDuration(outcome.durationMs)}`);
  if (phase === "contract") {
    if (failed) {
      throw new ReleaseStopped(`the ${label} failed: ${outcome.reason} (${outcome.where})`);
    }
    return;
  }
  // Expand: the stable colour must still work, also after a failed migration (it may have
  // applied part of its changes).
  const check = await session.verifyStable();
  const stable = session.snapshot.stable;
  await session.journal({
    step: "stable-rechecked",
    outcome: check.passed ? "ok" : "failed",
    version: session.snapshot[stable].version,
    gates: check.results,
    message: check.failure
      ? `stable ${stable} fails on the migrated schema: ${check.failure.gate}: ${check.failure.detail}`
      : `stable ${stable} passes on the migrated schema`,
  });
  if (failed || !check.passed) {
    const what = failed
      ? `the ${label} failed: ${outcome.reason} (${outcome.where})${check.passed ? "; the stable colour still passes its checks" : ""}`
      : `the ${label} breaks the stable colour ${stable} ${session.snapshot[stable].version}`;
    const broken = check.failure
      ? `; stable ${stable}: ${check.failure.gate}: ${check.failure.detail}`
      : "";
    const runbook = `\n${migrationRunbook(session, version, snapshotId)}`;
    session.progress(`FAIL ${what}${broken}`);
    throw new ReleaseStopped(
      `${what}${broken}; the idle colour was not changed and traffic did not move${runbook}`,
    );
  }
}
