/** What the platform's one-shot bootstrap Jobs (databases, log store) validate alike. */
import { isToken, type ProblemList } from "./validation";

/** The Job settings a bootstrap construct takes. */
export interface BootstrapJobSettings {
  readonly timeoutSeconds?: number;
  readonly image?: string;
}

/**
 * Adds the problems of a bootstrap Job's `timeoutSeconds` (60-3600 s) and `image` (a pinned tag,
 * optionally a digest; never `latest`); `example` is an image the message names.
 */
export function bootstrapJobProblems(
  p: ProblemList,
  settings: BootstrapJobSettings,
  example: string,
): void {
  if (settings.timeoutSeconds !== undefined) {
    p.check(
      Number.isInteger(settings.timeoutSeconds) &&
        settings.timeoutSeconds >= 60 &&
        settings.timeoutSeconds <= 3600,
      "timeoutSeconds",
      settings.timeoutSeconds,
      "an integer number of seconds from 60 to 3600",
    );
  }
  if (settings.image !== undefined && !isToken(settings.image)) {
    p.check(
      /^[^\s:@]+(:[\w.-]+)(@sha256:[0-9a-f]{64})?$/.test(settings.image) &&
        !settings.image.endsWith(":latest"),
      "image",
      settings.image,
      `an image with a pinned tag (and optionally a digest), such as ${example}`,
    );
  }
}
