import { resourceRule } from "../rule";
import { block, blocks, strings } from "../private/values";
import { isModernElbPolicy } from "./load-balancer-tls";

const PREFIX = "alb.ingress.kubernetes.io/";

export const ingressAlbTls = resourceRule({
  id: "ingress-alb-tls",
  severity: "error",
  description:
    "Ingresses for the AWS Load Balancer Controller listen on HTTPS with a TLS 1.2+ policy and redirect HTTP.",
  reason:
    "The controller builds the ALB from annotations: without a certificate it listens on plain HTTP, and without ssl-policy it uses ELBSecurityPolicy-2016-08 (TLS 1.0).",
  reference:
    "AWS FSBP ELB.1, ELB.17; checkov CKV_AWS_2, CKV_AWS_103 (the ALB the controller creates); aws-load-balancer-controller docs, Ingress annotations and certificate discovery",
  fix: `Set ${PREFIX}certificate-arn, ${PREFIX}listen-ports with HTTPS 443, ${PREFIX}ssl-policy "ELBSecurityPolicy-TLS13-1-2-2021-06" and ${PREFIX}ssl-redirect "443" (the BlueGreenRelease construct does).`,
  types: ["kubernetes_ingress_v1", "kubernetes_ingress"],
  check(ingress) {
    const metadata = block(ingress.config.metadata);
    const annotations = (metadata.annotations ?? {}) as Record<string, unknown>;
    const spec = block(ingress.config.spec);
    const alb =
      spec.ingress_class_name === "alb" ||
      annotations["kubernetes.io/ingress.class"] === "alb" ||
      Object.keys(annotations).some((k) => k.startsWith(PREFIX));
    if (!alb) return undefined;
    const problems: string[] = [];
    const certificateArn = annotations[`${PREFIX}certificate-arn`] !== undefined;
    // without listen-ports the controller listens on HTTPS 443 when certificate-arn is given, else HTTP 80
    const listen = String(
      annotations[`${PREFIX}listen-ports`] ??
        (certificateArn ? '[{"HTTPS":443}]' : '[{"HTTP":80}]'),
    );
    const https = listen.includes('"HTTPS"');
    // the controller discovers ACM certificates for spec.tls and rule hosts when no certificate-arn is given
    const certificate =
      certificateArn ||
      blocks(spec.tls).some((t) => strings(t.hosts).length > 0) ||
      blocks(spec.rule).some((r) => typeof r.host === "string" && r.host.length > 0);
    if (!https || !certificate)
      problems.push(
        `no HTTPS listener with a certificate (listen-ports ${listen}; no certificate-arn annotation and no spec.tls or rule hosts)`,
      );
    if (https && !isModernElbPolicy(annotations[`${PREFIX}ssl-policy`]))
      problems.push(
        `ssl-policy is ${JSON.stringify(annotations[`${PREFIX}ssl-policy`] ?? "ELBSecurityPolicy-2016-08")}`,
      );
    if (listen.includes('"HTTP"') && !annotations[`${PREFIX}ssl-redirect`])
      problems.push(
        "an HTTP listener without ssl-redirect (it would serve the app over plain HTTP)",
      );
    return problems;
  },
});
