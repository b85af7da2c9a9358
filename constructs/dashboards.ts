import { createHash } from "node:crypto";
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import {
  applicationDashboard,
  CLOUDWATCH_DATASOURCE,
  DASHBOARD_FOLDERS,
  generatedDashboardUids,
  releaseDashboard,
  systemDashboard,
  type DashboardKind,
  type GrafanaDashboard,
} from "./private/grafana-dashboards";
import { readBusinessDashboards, type BusinessDashboardFile } from "./private/business-dashboards";
import { DEFAULT_THRESHOLDS, type AlertThresholds } from "./private/monitoring-rules";
import { DEFAULT_SERIES_LABEL } from "./private/http-queries";
import { AWS_REGION, DNS_LABEL } from "./private/patterns";
import { ProblemList, throwIfProblems } from "./private/validation";
import { LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT } from "./load-balancer-controller";

/** The label Grafana's dashboard sidecar selects ConfigMaps by (kube-prometheus-stack's `grafana.sidecar.dashboards.label`/`labelValue`). */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
/** The label Grafana's data source sidecar selects ConfigMaps by (`grafana.sidecar.datasources.label`/`labelValue`). */
export const DATASOURCE_LABEL = { grafana_datasource: "1" } as const;
/** The annotation naming a dashboard's Grafana folder (the sidecar's `folderAnnotation`). */
export const FOLDER_ANNOTATION = "grafana_folder";
/** The folder of the chart's bundled Kubernetes dashboards. */
export const BUNDLED_DASHBOARDS_FOLDER = "Kubernetes";
/** A ConfigMap holds at most 1 MiB; a dashboard ConfigMap must stay well under it. */
export const MAX_CONFIG_MAP_BYTES = 1024 * 1024;

/** What the metric gate judges an app's canary by (its `gates.metrics` settings). */
export interface DashboardGate {
  /** Maximum canary error rate (0-1). */
  readonly maxErrorRate: number;
  /** Maximum canary p95 latency, in seconds. */
  readonly maxP95Seconds: number;
  /** Fewest requests a colour needs to be judged. */
  readonly minRequests: number;
  /** How much the canary's error rate may exceed stable's (0-1). */
  readonly relativeErrorRate: number;
  /** How many times stable's p95 the canary's may be. */
  readonly relativeP95: number;
  /** `enforce` fails the release, `observe` only reports. */
  readonly mode: "enforce" | "observe";
}

/** One app: an Application and a Release dashboard are generated for it. */
export interface DashboardApp {
  /** App name: a colour's series carry `<seriesLabel>="<app>-<colour>"`. */
  readonly name: string;
  /** The app's namespace (its containers' CPU and memory). */
  readonly namespace: string;
  /** The label telling the colours' series apart (the gate's `seriesLabel`). @default "service" */
  readonly seriesLabel?: string;
  /** The bake window after each canary step, in seconds (the Release dashboard's default window). @default 300 */
  readonly bakeSeconds?: number;
  /** The metric gate's settings, drawn on the Release dashboard. @default none: the gate is off */
  readonly gate?: DashboardGate;
  /** Business dashboard JSON files of the app (absolute, or relative to the working directory). @default none */
  readonly businessDashboards?: readonly string[];
}

/** Props of {@link Dashboards}. */
export interface DashboardsProps {
  /** The monitoring namespace, where Grafana's sidecars look for ConfigMaps. */
  readonly namespace: string;
  /** The apps: an Application and a Release dashboard each, plus their business dashboards. */
  readonly apps: readonly DashboardApp[];
  /** The runbook alert thresholds the Application dashboards draw (the Monitoring construct's). @default 1% 5xx, p95 500 ms, CPU 80% and memory 90% of limit, 3 restarts in 15 min */
  readonly alertThresholds?: AlertThresholds;
  /**
   * A CloudWatch data source (uid `cloudwatch`) for the System dashboard's load balancer and RDS
   * panels. Grafana's service account must carry a read-only IRSA role (`cloudWatchReadPolicy`).
   * @default none: the System dashboard shows its Prometheus panels only
   */
  readonly cloudWatch?: DashboardsCloudWatch;
  /** Namespace and Deployment of the AWS Load Balancer Controller. @default kube-system/aws-load-balancer-controller */
  readonly loadBalancerController?: { readonly namespace: string; readonly deployment: string };
  /** What the ConfigMaps wait for (e.g. the monitoring namespace). @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** The CloudWatch data source of the System dashboard. */
export interface DashboardsCloudWatch {
  /** The region its queries default to (the environment's). */
  readonly region: string;
  /** The RDS instance identifier of the environment's database. */
  readonly databaseIdentifier: string;
}

/** One dashboard shipped, and where. */
export interface ShippedDashboard {
  /** The dashboard's uid. */
  readonly uid: string;
  /** The Grafana folder. */
  readonly folder: string;
  /** Its ConfigMap. */
  readonly configMap: ConfigMapV1;
  /** The dashboard JSON as Grafana reads it. */
  readonly json: string;
}

/** Terraform reads `${` and `%{` in strings as templates: written literally they are doubled. */
function terraformLiteral(text: string): string {
  return text.split("${").join("$${").split("%{").join("%%{");
}

/**
 * Grafana dashboards as code: an Application and a Release dashboard per app, a System dashboard
 * and the apps' own business dashboards, each a ConfigMap in the monitoring namespace labelled
 * `grafana_dashboard: "1"` with its folder in the `grafana_folder` annotation, which
 * kube-prometheus-stack's Grafana sidecar loads (nothing is downloaded at run time). The queries
 * are the release tool's metric gate's, from one module (`constructs/private/http-queries.ts`).
 */
export class Dashboards extends Construct {
  /** Every dashboard shipped, by uid. */
  readonly dashboards: Readonly<Record<string, ShippedDashboard>>;
  /** The CloudWatch data source's ConfigMap (absent without `cloudWatch`). */
  readonly cloudWatchDataSource?: ConfigMapV1;

  constructor(scope: Construct, id: string, props: DashboardsProps) {
    super(scope, id);
    const p = new ProblemList();
    p.checkValue(props.namespace, (v) => DNS_LABEL.test(v), "namespace", "a DNS-1123 label");
    const names = new Set<string>();
    props.apps.forEach((app, i) => {
      const f = `apps[${i}]`;
      p.check(DNS_LABEL.test(app.name), `${f}.name`, app.name, "a DNS-1123 label (the app name)");
      p.check(!names.has(app.name), `${f}.name`, app.name, "an app name listed once");
      names.add(app.name);
      p.checkValue(app.namespace, (v) => DNS_LABEL.test(v), `${f}.namespace`, "a DNS-1123 label");
      if (app.seriesLabel !== undefined)
        p.check(
          /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(app.seriesLabel),
          `${f}.seriesLabel`,
          app.seriesLabel,
          "a Prometheus label name",
        );
      if (app.bakeSeconds !== undefined)
        p.check(
          Number.isInteger(app.bakeSeconds) && app.bakeSeconds >= 1,
          `${f}.bakeSeconds`,
          app.bakeSeconds,
          "a whole number of seconds, 1 or more",
        );
    });
    if (props.cloudWatch) {
      p.checkValue(
        props.cloudWatch.region,
        (v) => AWS_REGION.test(v),
        "cloudWatch.region",
        "an AWS region such as eu-west-1",
      );
    }
    const files: BusinessDashboardFile[] = props.apps.flatMap((app, i) =>
      (app.businessDashboards ?? []).map((path, j) => ({
        app: app.name,
        path,
        field: `apps[${i}].businessDashboards[${j}]`,
      })),
    );
    const business = readBusinessDashboards(files, generatedDashboardUids([...names]));
    p.addAll(business.problems);
    throwIfProblems(this, p.problems);

    const thresholds = { ...DEFAULT_THRESHOLDS, ...definedOnly(props.alertThresholds) };
    const shipped: Record<string, ShippedDashboard> = {};
    const ship = (kind: DashboardKind, dashboard: GrafanaDashboard, owner?: string) => {
      const folder = DASHBOARD_FOLDERS[kind];
      const json = JSON.stringify(dashboard);
      const configMap = new ConfigMapV1(this, `${kind}-${dashboard.uid}`, {
        metadata: {
          name: configMapName(dashboard.uid),
          namespace: props.namespace,
          labels: {
            ...DASHBOARD_LABEL,
            "app.kubernetes.io/part-of": "platform-monitoring",
            "platform/dashboard-kind": kind,
            ...(owner ? { "platform/app": owner } : {}),
          },
          annotations: { [FOLDER_ANNOTATION]: folder },
        },
        data: { [`${dashboard.uid}.json`]: terraformLiteral(json) },
        dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      });
      shipped[dashboard.uid] = { uid: dashboard.uid, folder, configMap, json };
    };
    for (const app of props.apps) {
      const input = {
        name: app.name,
        namespace: app.namespace,
        seriesLabel: app.seriesLabel ?? DEFAULT_SERIES_LABEL,
        bakeSeconds: app.bakeSeconds ?? 300,
        gate: app.gate,
      };
      ship("applications", applicationDashboard(input, thresholds), app.name);
      ship("releases", releaseDashboard(input), app.name);
    }
    ship(
      "system",
      systemDashboard({
        loadBalancerController: props.loadBalancerController ?? {
          namespace: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT.namespace,
          deployment: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT.name,
        },
        cloudWatch: props.cloudWatch
          ? { databaseIdentifier: props.cloudWatch.databaseIdentifier }
          : undefined,
      }),
    );
    for (const b of business.dashboards) ship("business", b.dashboard, b.app);
    this.dashboards = shipped;

    if (props.cloudWatch) {
      // Grafana's provisioning format; JSON is YAML. authType "default": the AWS SDK's chain,
      // which reads the IRSA web identity token of Grafana's service account.
      const provisioning = {
        apiVersion: 1,
        datasources: [
          {
            name: "CloudWatch",
            type: CLOUDWATCH_DATASOURCE.type,
            uid: CLOUDWATCH_DATASOURCE.uid,
            access: "proxy",
            editable: false,
            jsonData: { authType: "default", defaultRegion: props.cloudWatch.region },
          },
        ],
      };
      this.cloudWatchDataSource = new ConfigMapV1(this, "cloudwatch-datasource", {
        metadata: {
          name: "grafana-datasource-cloudwatch",
          namespace: props.namespace,
          labels: { ...DATASOURCE_LABEL, "app.kubernetes.io/part-of": "platform-monitoring" },
        },
        data: { "cloudwatch.yaml": JSON.stringify(provisioning, null, 2) },
        dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      });
    }
  }
}

/**
 * `dashboard-<uid>`; a uid that is no Kubernetes name as it is (capitals, `_`) is lowered and gets
 * a hash of itself, so two uids differing only in those never share a ConfigMap.
 */
function configMapName(uid: string): string {
  const plain = uid.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  if (plain === uid && /^[a-z0-9]/.test(uid) && !uid.endsWith("-")) return `dashboard-${uid}`;
  const hash = createHash("sha256").update(uid).digest("hex").slice(0, 8);
  return `dashboard-${plain.slice(0, 43).replace(/-+$/, "")}-${hash}`;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
