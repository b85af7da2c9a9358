/**
 * The Kubernetes minor versions Amazon EKS creates clusters on, with their support dates (UTC),
 * from the Amazon EKS Kubernetes release calendar
 * (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar).
 * A version is in standard support for 14 months from its EKS release, then in paid extended
 * support for 12 more; on the end of extended support EKS stops creating clusters on it and
 * upgrades existing control planes automatically. Billing for extended support starts at the
 * beginning of the end-of-standard-support day.
 *
 * Keep this table current: add a version when EKS releases it, and remove one once its extended
 * support has ended (synthesis warns about an environment on a version past its standard support).
 */
import type { ProblemList } from "./private/validation";
/** The Kubernetes minors EKS still creates clusters with, and their standard and extended support end dates. */
export const EKS_KUBERNETES_VERSIONS = {
  "1.32": {
    released: "2025-01-23",
    endOfStandardSupport: "2026-03-23",
    endOfExtendedSupport: "2027-03-23",
  },
  "1.33": {
    released: "2025-05-29",
    endOfStandardSupport: "2026-07-29",
    endOfExtendedSupport: "2027-07-29",
  },
  "1.34": {
    released: "2025-10-02",
    endOfStandardSupport: "2026-12-02",
    endOfExtendedSupport: "2027-12-02",
  },
  "1.35": {
    released: "2026-01-27",
    endOfStandardSupport: "2027-03-27",
    endOfExtendedSupport: "2028-03-27",
  },
} as const satisfies Record<string, KubernetesVersionSupport>;

/** Release and support dates of one Kubernetes minor version on EKS (YYYY-MM-DD, UTC). */
export interface KubernetesVersionSupport {
  /** The day EKS released the version. */
  readonly released: string;
  /** The first day the version is out of standard support (extended support billing starts). */
  readonly endOfStandardSupport: string;
  /** The day extended support ends: EKS no longer creates the version and upgrades existing control planes. */
  readonly endOfExtendedSupport: string;
}

/** Kubernetes minor versions EKS creates clusters on (standard or extended support), oldest first. */
export const SUPPORTED_KUBERNETES_VERSIONS = ["1.32", "1.33", "1.34", "1.35"] as const;

/** A Kubernetes minor version EKS creates clusters on. */
export type KubernetesVersion = keyof typeof EKS_KUBERNETES_VERSIONS;

/**
 * Versions EKS no longer creates, with the day their extended support ended (from the same
 * calendar), so a refusal can say why.
 */
export const RETIRED_KUBERNETES_VERSIONS: Readonly<Record<string, string>> = {
  "1.29": "2026-03-23",
  "1.30": "2026-07-23",
  "1.31": "2026-11-26",
};

/**
 * The cluster's upgrade policy (`upgrade_policy.support_type`): `STANDARD` lets EKS upgrade the
 * control plane automatically at the end of standard support (no extended support charges);
 * `EXTENDED` keeps the version for up to 12 more months at the extended support price.
 */
export type KubernetesSupportType = "STANDARD" | "EXTENDED";

/** The support types EKS accepts. */
export const KUBERNETES_SUPPORT_TYPES = ["STANDARD", "EXTENDED"] as const;

/** Days before the end of standard support from which synthesis warns (EKS announces it at least 60 days ahead). */
export const STANDARD_SUPPORT_NOTICE_DAYS = 60;

/** True when `version` is one EKS creates clusters on. */
export function isSupportedKubernetesVersion(version: string): version is KubernetesVersion {
  return (SUPPORTED_KUBERNETES_VERSIONS as readonly string[]).includes(version);
}

/** What a refused version is measured against, for the validation message. */
export function supportedKubernetesVersionsExpectation(version: string): string {
  const retired = RETIRED_KUBERNETES_VERSIONS[version];
  return (
    `a Kubernetes version EKS still creates clusters on: one of ${SUPPORTED_KUBERNETES_VERSIONS.join(", ")}` +
    (retired ? ` (${version} reached the end of extended support on ${retired})` : "")
  );
}

/** Adds a problem at `field` when `version` is resolved and not one EKS creates clusters on. */
export function checkKubernetesVersion(
  p: ProblemList,
  version: string,
  field = "kubernetesVersion",
): void {
  p.checkValue(
    version,
    (v) => isSupportedKubernetesVersion(v),
    field,
    supportedKubernetesVersionsExpectation(version),
  );
}

/** Today's date in UTC as YYYY-MM-DD (the calendar's dates are UTC). */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;
const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

/**
 * The warning for a cluster on `version` on day `today` (YYYY-MM-DD, UTC), or undefined while
 * the version is in standard support and more than {@link STANDARD_SUPPORT_NOTICE_DAYS} days from
 * its end. The text names the dates, what EKS does next under `supportType`, and the next minor
 * version (EKS upgrades one minor version at a time).
 */
export function kubernetesVersionWarning(
  version: string,
  supportType: KubernetesSupportType,
  today: string,
): string | undefined {
  if (!isSupportedKubernetesVersion(version)) return undefined;
  const support = EKS_KUBERNETES_VERSIONS[version];
  const index = SUPPORTED_KUBERNETES_VERSIONS.indexOf(version);
  const next = SUPPORTED_KUBERNETES_VERSIONS[index + 1];
  const inStandard = SUPPORTED_KUBERNETES_VERSIONS.filter(
    (v) => today < EKS_KUBERNETES_VERSIONS[v].endOfStandardSupport,
  );
  const newest = inStandard[inStandard.length - 1];
  const upgrade =
    next === undefined
      ? "upgrade to a newer version (add it to the calendar in constructs/kubernetes-versions.ts)"
      : `upgrade one minor version at a time, next ${next}` +
        (newest && newest !== next
          ? ` (newest in standard support: ${newest}, until ${EKS_KUBERNETES_VERSIONS[newest].endOfStandardSupport})`
          : "");
  const quoted = JSON.stringify(version);
  if (today >= support.endOfExtendedSupport) {
    return `${quoted} reached the end of EKS extended support on ${support.endOfExtendedSupport}: EKS no longer creates clusters on it and upgrades existing control planes automatically; ${upgrade}`;
  }
  if (today >= support.endOfStandardSupport) {
    const consequence =
      supportType === "EXTENDED"
        ? `the cluster runs on paid extended support until ${support.endOfExtendedSupport}, when EKS upgrades its control plane automatically`
        : `with supportType STANDARD EKS upgrades the control plane automatically, and the next plan tries to move it back to ${version}, which EKS refuses`;
    return `${quoted} is out of EKS standard support since ${support.endOfStandardSupport}: ${consequence}; ${upgrade}`;
  }
  const days = daysBetween(today, support.endOfStandardSupport);
  if (days <= STANDARD_SUPPORT_NOTICE_DAYS) {
    const consequence =
      supportType === "EXTENDED"
        ? `then paid extended support runs until ${support.endOfExtendedSupport}`
        : "with supportType STANDARD EKS then upgrades the control plane automatically";
    return `${quoted} leaves EKS standard support on ${support.endOfStandardSupport} (in ${days} day${days === 1 ? "" : "s"}): ${consequence}; ${upgrade}`;
  }
  return undefined;
}
