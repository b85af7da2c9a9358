import { resourceRule } from "../rule";
import { block, blocks } from "../private/values";

/** ELB security policies that negotiate TLS 1.2 or 1.3 only (AWS's recommended family). */
export function isModernElbPolicy(policy: unknown): boolean {
  return /^ELBSecurityPolicy-(TLS13-1-[23]-|FS-1-2-|TLS-1-2-)/.test(String(policy ?? ""));
}

export const loadBalancerTls = resourceRule({
  id: "load-balancer-tls",
  severity: "error",
  description:
    "Load balancer listeners use HTTPS/TLS with a TLS 1.2+ policy, and HTTP listeners only redirect to HTTPS.",
  reason:
    "A plain HTTP listener that forwards serves the application unencrypted; the default security policy still accepts TLS 1.0 and 1.1.",
  reference: "AWS FSBP ELB.1, ELB.17; checkov CKV_AWS_2, CKV_AWS_103",
  fix: 'Use protocol HTTPS/TLS with ssl_policy "ELBSecurityPolicy-TLS13-1-2-2021-06" (or newer); give HTTP listeners a default_action of type redirect to HTTPS.',
  types: ["aws_lb_listener", "aws_alb_listener"],
  check(listener) {
    const protocol = String(listener.config.protocol ?? "HTTP");
    if (protocol === "HTTPS" || protocol === "TLS") {
      if (!isModernElbPolicy(listener.config.ssl_policy))
        return `ssl_policy is ${JSON.stringify(listener.config.ssl_policy ?? "ELBSecurityPolicy-2016-08")}`;
      return undefined;
    }
    if (protocol !== "HTTP") return undefined;
    const redirects = blocks(listener.config.default_action).every(
      (a) => a.type === "redirect" && block(a.redirect).protocol === "HTTPS",
    );
    if (!redirects) return "an HTTP listener whose default action is not a redirect to HTTPS";
    return undefined;
  },
});
