/**
 * The Kubernetes versions the platform accepts, from the Amazon EKS Kubernetes release calendar
 * (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar),
 * and the synthesis warning. Every date is injected: no test depends on the real date.
 */
import {
  EKS_KUBERNETES_VERSIONS,
  kubernetesVersionWarning,
  RETIRED_KUBERNETES_VERSIONS,
  SUPPORTED_KUBERNETES_VERSIONS,
  todayUtc,
} from "../../constructs/kubernetes-versions";

const plusMonths = (day: string, months: number) => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
};

describe("EKS Kubernetes versions", () => {
  test("the accepted versions are exactly the calendar's, oldest first", () => {
    expect(Object.keys(EKS_KUBERNETES_VERSIONS)).toEqual([...SUPPORTED_KUBERNETES_VERSIONS]);
  });

  test("each version: 14 months of standard support from its EKS release, then 12 of extended", () => {
    for (const v of Object.values(EKS_KUBERNETES_VERSIONS)) {
      expect(v.endOfStandardSupport).toBe(plusMonths(v.released, 14));
      expect(v.endOfExtendedSupport).toBe(plusMonths(v.endOfStandardSupport, 12));
    }
  });

  test("on 2026-12-01 EKS creates every accepted version and none of the retired ones", () => {
    for (const v of Object.values(EKS_KUBERNETES_VERSIONS))
      expect(v.endOfExtendedSupport > "2026-12-01").toBe(true);
    for (const [version, ended] of Object.entries(RETIRED_KUBERNETES_VERSIONS)) {
      expect(SUPPORTED_KUBERNETES_VERSIONS as readonly string[]).not.toContain(version);
      expect(ended <= "2026-12-01").toBe(true);
    }
  });

  test("today is the UTC date", () => {
    expect(todayUtc(new Date("2026-12-01T23:30:00-05:00"))).toBe("2026-12-02");
  });
});

describe("kubernetesVersionWarning", () => {
  test("none while standard support ends more than 60 days later", () => {
    expect(kubernetesVersionWarning("1.35", "STANDARD", "2026-12-01")).toBeUndefined();
    expect(kubernetesVersionWarning("1.35", "STANDARD", "2027-01-25")).toBeUndefined();
  });

  test("warns 60 days before the end of standard support, naming what EKS then does", () => {
    expect(kubernetesVersionWarning("1.35", "STANDARD", "2027-01-26")).toBe(
      '"1.35" leaves EKS standard support on 2027-03-27 (in 60 days): with supportType STANDARD EKS then upgrades the control plane automatically; upgrade to a newer version (add it to the calendar in constructs/kubernetes-versions.ts)',
    );
    expect(kubernetesVersionWarning("1.34", "EXTENDED", "2026-12-01")).toBe(
      '"1.34" leaves EKS standard support on 2026-12-02 (in 1 day): then paid extended support runs until 2027-12-02; upgrade one minor version at a time, next 1.35',
    );
  });

  test("warns from the first day out of standard support (extended support billing starts that day)", () => {
    expect(kubernetesVersionWarning("1.32", "EXTENDED", "2026-03-22")).toMatch(/in 1 day/);
    expect(kubernetesVersionWarning("1.32", "EXTENDED", "2026-03-23")).toBe(
      '"1.32" is out of EKS standard support since 2026-03-23: the cluster runs on paid extended support until 2027-03-23, when EKS upgrades its control plane automatically; upgrade one minor version at a time, next 1.33 (newest in standard support: 1.35, until 2027-03-27)',
    );
  });

  test("warns that EKS no longer creates a version past its extended support", () => {
    expect(kubernetesVersionWarning("1.32", "STANDARD", "2027-03-23")).toBe(
      '"1.32" reached the end of EKS extended support on 2027-03-23: EKS no longer creates clusters on it and upgrades existing control planes automatically; upgrade one minor version at a time, next 1.33 (newest in standard support: 1.35, until 2027-03-27)',
    );
  });

  test("says nothing about a version it does not know (validation refuses it)", () => {
    expect(kubernetesVersionWarning("1.31", "STANDARD", "2026-12-01")).toBeUndefined();
  });
});
