import {
  restrictedPodSecurityContext,
  restrictedProblems,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
} from "../../constructs/private/pod-security";

describe("Pod Security restricted checks", () => {
  test("the shared add-on contexts pass restricted", () => {
    expect(
      restrictedProblems(
        RESTRICTED_CONTAINER_SECURITY_CONTEXT,
        restrictedPodSecurityContext(65532),
      ),
    ).toEqual([]);
    expect(restrictedPodSecurityContext(65534)).toMatchObject({
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
    });
  });

  test("fails when nothing is set: every restricted control is named", () => {
    expect(restrictedProblems({}).map((p) => p.field)).toEqual([
      "securityContext.allowPrivilegeEscalation",
      "securityContext.capabilities",
      "securityContext.runAsNonRoot",
      "securityContext.seccompProfile",
    ]);
  });

  test("fails when the container is privileged or a pod-level root user is inherited", () => {
    expect(
      restrictedProblems(
        { ...RESTRICTED_CONTAINER_SECURITY_CONTEXT, privileged: true },
        restrictedPodSecurityContext(0),
      ).map((p) => p.field),
    ).toEqual(["securityContext.privileged", "securityContext.runAsUser"]);
  });
});
