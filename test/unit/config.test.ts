import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cacheParsedEnvironments,
  EnvironmentConfigError,
  loadEnvironments,
  parseEnvironment,
} from "../../config/load";
import { ENVIRONMENTS_DIR, environment, environmentFolder, rawEnvironment } from "../helpers";

/** Loads one edited copy of a shipped file and returns the error message lines. */
function problemsFor(edit: (raw: Record<string, any>) => void, name = "prod"): string[] {
  const raw = rawEnvironment(name);
  edit(raw);
  const dir = environmentFolder({ [name]: raw });
  try {
    loadEnvironments(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return (error as Error).message
      .split("\n")
      .slice(1)
      .map((line) => line.trim());
  }
  throw new Error("expected the environment file to be rejected");
}

describe("environment files", () => {
  test("the shipped files are valid and named after their files", () => {
    const loaded = loadEnvironments(ENVIRONMENTS_DIR);
    expect(loaded.map((e) => e.config.name)).toEqual(["dev", "prod", "staging"]);
    expect(loaded.find((e) => e.config.name === "prod")?.config.tier).toBe("production");
    expect(loaded.map((e) => e.config.network.natGateways)).toEqual(["single", "perAz", "perAz"]);
    for (const { config } of loaded) expect(config.network.availabilityZones).toHaveLength(3);
  });

  test("PLATFORM_ENV_DIR selects another folder", () => {
    const dir = environmentFolder({ qa: { ...rawEnvironment("dev"), name: "qa" } });
    const previous = process.env.PLATFORM_ENV_DIR;
    process.env.PLATFORM_ENV_DIR = dir;
    try {
      expect(loadEnvironments().map((e) => e.config.name)).toEqual(["qa"]);
    } finally {
      if (previous === undefined) delete process.env.PLATFORM_ENV_DIR;
      else process.env.PLATFORM_ENV_DIR = previous;
    }
  });

  test("fails when a field is unknown, naming the allowed fields", () => {
    expect(problemsFor((raw) => (raw.network.natGateway = "single"))).toEqual([
      expect.stringMatching(
        /^\S+prod\.yaml: network\.natGateway: received "single"; expected no field named "natGateway" here \(unknown field; allowed: cidr, availabilityZones, natGateways, flowLogRetentionDays, subnetPrefixLengths\)$/,
      ),
    ]);
  });

  test("fails when a required field is missing", () => {
    const lines = problemsFor((raw) => delete raw.account);
    expect(lines).toEqual([
      expect.stringMatching(
        /prod\.yaml: account: received nothing; expected a string \(required field is missing\)$/,
      ),
    ]);
  });

  test("fails when name does not equal the file name", () => {
    expect(problemsFor((raw) => (raw.name = "production"))).toEqual([
      expect.stringMatching(
        /prod\.yaml: name: received "production"; expected "prod", the file's name without \.yaml$/,
      ),
    ]);
  });

  test.each([
    ["10.30.0.0/33", "an IPv4 CIDR block with no host bits set, such as 10.30.0.0/16"],
    ["10.30.0.1/16", "an IPv4 CIDR block with no host bits set, such as 10.30.0.0/16"],
    ["banana", "an IPv4 CIDR block with no host bits set, such as 10.30.0.0/16"],
    ["10.0.0.0/8", "a prefix length from /16 to /28 (the VPC limits)"],
    ["10.30.0.0/29", "a prefix length from /16 to /28 (the VPC limits)"],
  ])("fails when the VPC CIDR is %s", (cidr, expected) => {
    expect(problemsFor((raw) => (raw.network.cidr = cidr))).toEqual([
      expect.stringContaining(`network.cidr: received "${cidr}"; expected ${expected}`),
    ]);
  });

  test("fails when an AZ is not in the region", () => {
    expect(
      problemsFor(
        (raw) => (raw.network.availabilityZones = ["eu-west-1a", "us-east-1b", "eu-west-1c"]),
      ),
    ).toEqual([
      expect.stringContaining(
        'network.availabilityZones[1]: received "us-east-1b"; expected an availability zone of region eu-west-1, such as eu-west-1a',
      ),
    ]);
  });

  test("fails when an AZ is listed twice", () => {
    expect(
      problemsFor(
        (raw) => (raw.network.availabilityZones = ["eu-west-1a", "eu-west-1b", "eu-west-1a"]),
      ),
    ).toEqual([
      expect.stringContaining(
        'network.availabilityZones[2]: received "eu-west-1a"; expected each availability zone once (duplicate)',
      ),
    ]);
  });

  test("fails when the subnets do not fit in the VPC", () => {
    expect(problemsFor((raw) => (raw.network.cidr = "10.30.0.0/26"))).toEqual([
      expect.stringContaining(
        'network.subnetPrefixLengths: received "private /28, public /28, database /28: 192 addresses for 4 AZ slots per tier"; expected subnets that fit in 10.30.0.0/26 (64 addresses): use longer prefixes or a larger VPC',
      ),
    ]);
    expect(problemsFor((raw) => (raw.network.subnetPrefixLengths = { private: 15 }))).toEqual([
      expect.stringContaining(
        "network.subnetPrefixLengths.private: received 15; expected an integer from 16 (the VPC prefix) to 28",
      ),
    ]);
  });

  test("fails when the account id is not 12 digits", () => {
    expect(problemsFor((raw) => (raw.account = "12345"))).toEqual([
      expect.stringContaining(
        'account: received "12345"; expected a 12-digit AWS account id as a quoted string',
      ),
    ]);
  });

  test("fails when natGateways is not a known mode", () => {
    expect(problemsFor((raw) => (raw.network.natGateways = "double"))).toEqual([
      expect.stringContaining(
        'network.natGateways: received "double"; expected one of "none" | "single" | "perAz"',
      ),
    ]);
  });

  test("fails when a production file does not use a NAT per AZ", () => {
    expect(problemsFor((raw) => (raw.network.natGateways = "single"))).toEqual([
      expect.stringContaining(
        'network.natGateways: received "single"; expected "perAz" in the production tier',
      ),
    ]);
    // the same value is fine in the development tier
    expect(() =>
      loadEnvironments(
        environmentFolder({
          dev: {
            ...rawEnvironment("dev"),
            network: { ...(rawEnvironment("dev").network as object), natGateways: "none" },
            // the in-VPC runners need NAT; without them the deployer reaches a public endpoint
            pipeline: undefined,
            cluster: {
              ...(rawEnvironment("dev").cluster as object),
              endpointPublicAccessCidrs: ["198.51.100.0/24"],
            },
          },
        }),
      ),
    ).not.toThrow();
  });

  test("fails when the deploy role is in another account", () => {
    expect(
      problemsFor((raw) => (raw.deployRoleArn = "arn:aws:iam::999999999999:role/deploy")),
    ).toEqual([
      expect.stringContaining(
        'deployRoleArn: received "arn:aws:iam::999999999999:role/deploy"; expected a role in account 123456789012',
      ),
    ]);
  });

  test("fails when no identity that deploys the workloads stack would have cluster access", () => {
    expect(
      problemsFor((raw) => {
        delete raw.deployRoleArn;
        raw.cluster.admins = [];
        // no runners (nor GitHub roles) without a deploy role to assume; the deployer reaches the API another way
        delete raw.pipeline;
        delete raw.github;
        delete raw.apps.web.imageRepository; // its push role needs the github section's OIDC provider
        raw.cluster.apiAccess = { securityGroupIds: ["sg-0123456789abcdef0"] };
      }),
    ).toEqual([
      expect.stringMatching(
        /prod\.yaml: cluster\.admins: received \[\]; expected at least one IAM role or user ARN when deployRoleArn is not set: prod-workloads then authenticates to the cluster as whoever runs Terraform, and only cluster\.admins get access entries \(set deployRoleArn to the role that deploys, or list the identity that runs "cdktf deploy prod-workloads" in cluster\.admins\)$/,
      ),
    ]);
  });

  test("the workloads deployer is the deploy role, else one of cluster.admins", () => {
    const accepted = (edit: (raw: Record<string, any>) => void) => {
      const raw = rawEnvironment("prod") as Record<string, any>;
      edit(raw);
      return () => loadEnvironments(environmentFolder({ prod: raw }));
    };
    // a deploy role gets its own access entry: no admin needed
    expect(accepted((raw) => (raw.cluster.admins = []))).not.toThrow();
    // without one, whoever deploys must be an admin (and reach the API without the runners)
    expect(
      accepted((raw) => {
        delete raw.deployRoleArn;
        delete raw.pipeline;
        delete raw.github;
        delete raw.apps.web.imageRepository; // its push role needs the github section's OIDC provider
        raw.cluster.apiAccess = { securityGroupIds: ["sg-0123456789abcdef0"] };
      }),
    ).not.toThrow();
  });

  test("fails when a tag would override a platform tag", () => {
    expect(problemsFor((raw) => (raw.tags = { environment: "x" }))).toEqual([
      expect.stringContaining(
        'tags.environment: received "environment"; expected a tag key other than environment, managed-by and aws:*',
      ),
    ]);
  });

  describe("cluster section", () => {
    test("fails when the Kubernetes version is not supported", () => {
      expect(problemsFor((raw) => (raw.cluster.kubernetesVersion = "1.24"))).toEqual([
        expect.stringMatching(
          /prod\.yaml: cluster\.kubernetesVersion: received "1\.24"; expected a Kubernetes version EKS still creates clusters on: one of 1\.32, 1\.33, 1\.34, 1\.35$/,
        ),
      ]);
    });

    test("fails when the Kubernetes version is one EKS no longer creates (1.31: extended support ended 2026-11-26)", () => {
      expect(problemsFor((raw) => (raw.cluster.kubernetesVersion = "1.31"))).toEqual([
        expect.stringContaining(
          'cluster.kubernetesVersion: received "1.31"; expected a Kubernetes version EKS still creates clusters on: one of 1.32, 1.33, 1.34, 1.35 (1.31 reached the end of extended support on 2026-11-26)',
        ),
      ]);
    });

    test("fails when the support type is not one EKS knows", () => {
      expect(problemsFor((raw) => (raw.cluster.supportType = "standard"))).toEqual([
        expect.stringContaining(
          'cluster.supportType: received "standard"; expected one of "STANDARD" | "EXTENDED"',
        ),
      ]);
    });

    test("the support type is optional and typed", () => {
      expect(environment("prod").cluster.supportType).toBeUndefined();
      expect(
        environment("prod", (raw: any) => (raw.cluster.supportType = "EXTENDED")).cluster
          .supportType,
      ).toBe("EXTENDED");
    });

    test("fails when node group sizes are out of order", () => {
      expect(problemsFor((raw) => (raw.cluster.nodeGroups.general.minSize = 5))).toEqual([
        expect.stringContaining(
          'cluster.nodeGroups.general: received {"minSize":5,"desiredSize":3,"maxSize":9}; expected minSize <= desiredSize <= maxSize',
        ),
      ]);
    });

    test("fails when a node group has no instance types", () => {
      expect(problemsFor((raw) => (raw.cluster.nodeGroups.general.instanceTypes = []))).toEqual([
        expect.stringContaining(
          "cluster.nodeGroups.general.instanceTypes: received []; expected at least one instance type",
        ),
      ]);
    });

    test("fails when a node group name is over 63 characters", () => {
      const long = "x".repeat(64);
      expect(
        problemsFor((raw) => (raw.cluster.nodeGroups = { [long]: raw.cluster.nodeGroups.general })),
      ).toEqual([
        expect.stringContaining(
          `cluster.nodeGroups.${long}: received "${long}"; expected a node group name of 1-63 letters`,
        ),
      ]);
    });

    test("fails when the cluster name is over 100 characters or a role name over 64", () => {
      const lines = problemsFor((raw) => (raw.cluster.name = "c".repeat(101)));
      expect(lines[0]).toContain(
        `cluster.name: received "${"c".repeat(101)}"; expected an EKS cluster name: 1-100 letters`,
      );
      expect(lines).toContainEqual(
        expect.stringContaining("expected a shorter name: the cluster IAM role name"),
      );
      expect(problemsFor((raw) => (raw.cluster.name = "n".repeat(50)))).toEqual([
        expect.stringContaining(
          'the aws-ebs-csi-driver IAM role name "' +
            "n".repeat(50) +
            '-ebs-csi-driver" has 65 characters, at most 64 allowed',
        ),
      ]);
    });

    test("fails when a public CIDR is invalid or 0.0.0.0/0, and on any public CIDR in production", () => {
      expect(
        problemsFor(
          (raw) => (raw.cluster.endpointPublicAccessCidrs = ["0.0.0.0/0", "300.1.1.0/24"]),
          "dev",
        ),
      ).toEqual([
        expect.stringContaining(
          'cluster.endpointPublicAccessCidrs[0]: received "0.0.0.0/0"; expected a narrow range: 0.0.0.0/0 opens the API endpoint to the internet',
        ),
        expect.stringContaining(
          'cluster.endpointPublicAccessCidrs[1]: received "300.1.1.0/24"; expected an IPv4 CIDR block with no host bits set',
        ),
      ]);
      expect(
        problemsFor((raw) => (raw.cluster.endpointPublicAccessCidrs = ["203.0.113.0/24"])),
      ).toEqual([
        expect.stringContaining(
          'cluster.endpointPublicAccessCidrs[0]: received "203.0.113.0/24"; expected no public CIDR in the production tier',
        ),
      ]);
    });

    test("fails when vpc-cni is pinned older than v1.14.0", () => {
      expect(
        problemsFor((raw) => (raw.cluster.addonVersions = { "vpc-cni": "v1.12.6-eksbuild.2" })),
      ).toEqual([
        expect.stringMatching(
          /prod\.yaml: cluster\.addonVersions\.vpc-cni: received "v1\.12\.6-eksbuild\.2"; expected a vpc-cni version v1\.14\.0 or newer \(enableNetworkPolicy needs the network policy agent of VPC CNI 1\.14\)$/,
        ),
      ]);
    });

    test("fails when an admin is listed twice", () => {
      const admin = "arn:aws:iam::123456789012:role/platform-admin";
      expect(problemsFor((raw) => (raw.cluster.admins = [admin, admin]))).toEqual([
        expect.stringContaining(
          `cluster.admins[1]: received "${admin}"; expected each principal once (duplicate: EKS allows one access entry per principal)`,
        ),
      ]);
    });

    test("fails when an admin is not an IAM ARN", () => {
      expect(problemsFor((raw) => (raw.cluster.admins = ["alice"]))).toEqual([
        expect.stringContaining(
          'cluster.admins[0]: received "alice"; expected an IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-admin',
        ),
      ]);
    });
  });

  test("database section: every problem at once, with database.* field paths", () => {
    const lines = problemsFor((raw) => {
      raw.database.instanceClass = "db.t4g.large";
      raw.database.maxAllocatedStorageGb = 50;
      raw.database.backupRetentionDays = 3;
      raw.database.engineVersion = "16.x";
      raw.database.identifier = "1-bad--id-";
    });
    const fields = lines.map((l) => l.replace(/^\S+prod\.yaml: /, "").split(": received")[0]);
    expect(fields).toEqual(
      expect.arrayContaining([
        "database.instanceClass",
        "database.maxAllocatedStorageGb",
        "database.backupRetentionDays",
        "database.engineVersion",
        "database.identifier",
      ]),
    );
    expect(lines.join("\n")).toContain('database.instanceClass: received "db.t4g.large"; expected');
  });

  test("cdn and alerts sections: domain names without a certificate, a certificate outside us-east-1, a bad e-mail", () => {
    const noCertificate = problemsFor((raw) => {
      // without a dns section nothing creates the CDN certificate
      delete raw.dns;
      delete raw.cdn.certificateArn;
    });
    expect(noCertificate).toEqual([
      expect.stringMatching(/prod\.yaml: cdn\.certificateArn: received nothing; expected .*/),
    ]);
    const wrongRegion = problemsFor(
      (raw) =>
        (raw.cdn.certificateArn =
          "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"),
    );
    expect(wrongRegion).toEqual([
      expect.stringMatching(
        /prod\.yaml: cdn\.certificateArn: received "arn:aws:acm:eu-west-1:.*"; expected .*us-east-1/,
      ),
    ]);
    expect(problemsFor((raw) => (raw.alerts.email = "oncall-at-example.com"))).toEqual([
      expect.stringMatching(
        /prod\.yaml: alerts\.email: received "oncall-at-example\.com"; expected .*e-mail/,
      ),
    ]);
  });

  test("cdn.errorDocument: the 404 page's object key, refused with a leading slash", () => {
    expect(
      environment("prod", (raw: any) => (raw.cdn.errorDocument = "errors/404.html")).cdn,
    ).toMatchObject({ errorDocument: "errors/404.html" });
    const lines = problemsFor((raw) => (raw.cdn.errorDocument = "/404.html"));
    expect(lines.map((l) => l.replace(/^\S+prod\.yaml: /, ""))).toEqual([
      'cdn.errorDocument: received "/404.html"; expected an object key of the content bucket such as 404.html or errors/404.html: no leading "/", no spaces, "?" or "#", at most 1024 characters',
    ]);
  });

  describe("dns section", () => {
    const ZONE = { id: "Z0123456789ABCDEFGHIJ", domain: "example.com" };

    test("fails when an app host lies outside every zone", () => {
      expect(
        problemsFor((raw) => {
          raw.dns = { zones: [ZONE] };
          raw.apps.web.host = "app.other.org";
        }),
      ).toEqual([
        expect.stringMatching(
          /prod\.yaml: apps\.web\.host: received "app\.other\.org"; expected a host inside a declared dns zone \(example\.com\)$/,
        ),
      ]);
    });

    test("fails when a CDN domain name lies outside every zone, naming every declared zone", () => {
      expect(
        problemsFor((raw) => {
          raw.dns = { zones: [ZONE, { id: "Z0SHOP1234567890ABCDE", domain: "shop.example.org" }] };
          raw.cdn.domainNames = ["www.example.com", "www.example.org"];
        }),
      ).toEqual([
        expect.stringMatching(
          /prod\.yaml: cdn\.domainNames\[1\]: received "www\.example\.org"; expected a host inside a declared dns zone \(example\.com, shop\.example\.org\)$/,
        ),
      ]);
    });

    test("fails when a zone id has the wrong shape (hosts are not checked against a bad zone)", () => {
      expect(
        problemsFor((raw) => {
          raw.dns = { zones: [{ id: "/hostedzone/Z0123456789ABCDEFGHIJ", domain: "example.com" }] };
          raw.apps.web.host = "app.other.org";
        }),
      ).toEqual([
        expect.stringMatching(
          /prod\.yaml: dns\.zones\[0\]\.id: received "\/hostedzone\/Z0123456789ABCDEFGHIJ"; expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ: "Z" and up to 31 upper-case letters and digits, without \/hostedzone\/$/,
        ),
      ]);
    });

    test("fails when a zone has no domain, an unknown field or is declared twice", () => {
      const lines = problemsFor((raw) => {
        raw.dns = { zones: [ZONE, ZONE, { id: "Z1", zone: "example.net" }] };
      });
      expect(lines.map((l) => l.replace(/^\S+prod\.yaml: /, ""))).toEqual([
        "dns.zones[2].domain: received nothing; expected a string (required field is missing)",
        'dns.zones[2].zone: received "example.net"; expected no field named "zone" here (unknown field; allowed: id, domain)',
      ]);
      expect(
        problemsFor((raw) => (raw.dns = { zones: [ZONE, ZONE] })).map((l) =>
          l.replace(/^\S+prod\.yaml: /, ""),
        ),
      ).toEqual([
        'dns.zones[1].id: received "Z0123456789ABCDEFGHIJ"; expected each zone once (duplicate id)',
        'dns.zones[1].domain: received "example.com"; expected each domain once (duplicate domain: records of a name can only go to one zone)',
      ]);
      expect(problemsFor((raw) => (raw.dns = { zones: [] }))).toEqual([
        expect.stringContaining(
          "dns.zones: received []; expected at least one Route 53 hosted zone ({ id, domain })",
        ),
      ]);
    });

    test("a host lies in a zone when it is the zone's domain or below it", () => {
      const raw = rawEnvironment("prod") as Record<string, any>;
      raw.dns = { zones: [ZONE] };
      raw.apps.web.host = "example.com";
      raw.cdn.domainNames = ["www.example.com", "*.static.example.com"];
      expect(() => loadEnvironments(environmentFolder({ prod: raw }))).not.toThrow();
    });

    test("with a dns section, CDN domain names need no certificateArn (the stack creates one)", () => {
      const raw = rawEnvironment("prod") as Record<string, any>;
      raw.dns = { zones: [ZONE] };
      delete raw.cdn.certificateArn;
      const [loaded] = loadEnvironments(environmentFolder({ prod: raw }));
      expect(loaded.config.dns).toEqual({ zones: [ZONE] });
    });

    test("the section is optional", () => {
      const raw = rawEnvironment("dev") as Record<string, any>;
      delete raw.dns;
      const [loaded] = loadEnvironments(environmentFolder({ dev: raw }));
      expect(loaded.config.dns).toBeUndefined();
    });
  });

  test("monitoring receivers: sns, the alarm topic by default", () => {
    expect(
      problemsFor((raw) => (raw.monitoring = { receivers: { critical: { type: "pager" } } })),
    ).toEqual([
      expect.stringContaining('monitoring.receivers.critical.type: received "pager"; expected'),
    ]);
    const [loaded] = loadEnvironments(environmentFolder({ staging: rawEnvironment("staging") }));
    expect(loaded.config.monitoring.receivers).toEqual({
      critical: { type: "sns" },
      warning: { type: "sns" },
    });
  });

  test("the prod example routes critical to PagerDuty, warning to Slack, info to e-mail, Watchdog to a heartbeat", () => {
    const [loaded] = loadEnvironments(environmentFolder({ prod: rawEnvironment("prod") }));
    expect(loaded.config.monitoring.receivers).toEqual({
      critical: {
        type: "pagerduty",
        secret: { name: "prod/monitoring/pagerduty", key: "routingKey" },
      },
      warning: {
        type: "slack",
        channel: "#alerts-prod",
        secret: { name: "prod/monitoring/slack", key: "webhookUrl" },
      },
      info: { type: "email" },
      watchdog: { type: "webhook", secret: { name: "prod/monitoring/heartbeat", key: "url" } },
    });
  });

  test("fails when receivers are malformed: every problem at once, named by field", () => {
    const lines = problemsFor(
      (raw) =>
        (raw.monitoring = {
          receivers: {
            critical: { type: "pagerduty", secret: { name: "prod/pagerduty" } },
            warning: {
              type: "slack",
              channel: "Alerts Prod",
              secret: { name: "prod/monitoring/slack" },
            },
            info: {
              type: "email",
              smtp: {
                to: "oncall",
                from: "alerts@example.com",
                smarthost: "smtp.example.com",
                username: "alerts",
                password: { name: "prod/monitoring/smtp" },
              },
            },
          },
        }),
    );
    expect(lines.map((l) => l.replace(/^\S+prod\.yaml: /, ""))).toEqual([
      "monitoring.receivers.warning.channel: received \"Alerts Prod\"; expected a Slack channel such as #alerts-prod (lowercase letters, digits, '-', '_' and '.')",
      'monitoring.receivers.info.smtp.to: received "oncall"; expected an e-mail address such as oncall@example.com',
      'monitoring.receivers.info.smtp.smarthost: received "smtp.example.com"; expected host:port of an SMTP relay with STARTTLS, such as email-smtp.eu-west-1.amazonaws.com:587',
      'monitoring.receivers.critical.secret.name: received "prod/pagerduty"; expected a name starting with "prod/monitoring/" (the monitoring SecretStore\'s role reads only prod/monitoring/*)',
    ]);
  });

  test("fails when the Watchdog receiver is not a heartbeat webhook", () => {
    const lines = problemsFor(
      (raw) =>
        (raw.monitoring = {
          receivers: {
            watchdog: { type: "pagerduty", secret: { name: "prod/monitoring/heartbeat" } },
          },
        }),
    );
    expect(lines.map((l) => l.replace(/^\S+prod\.yaml: /, ""))).toEqual([
      'monitoring.receivers.watchdog.type: received "pagerduty"; expected "webhook" (with secret): a heartbeat URL pinged every minute, which pages when the pings stop',
    ]);
  });

  test("fails when an e-mail receiver names both an SNS topic and an SMTP relay", () => {
    const lines = problemsFor(
      (raw) =>
        (raw.monitoring = {
          receivers: {
            info: {
              type: "email",
              topicArn: "arn:aws:sns:eu-west-1:123456789012:mail",
              smtp: {
                to: "oncall@example.com",
                from: "alerts@example.com",
                smarthost: "smtp.example.com:587",
                username: "alerts",
                password: { name: "prod/monitoring/smtp" },
              },
            },
          },
        }),
    );
    expect(lines.map((l) => l.replace(/^\S+prod\.yaml: /, "").split("; expected ")[1])).toEqual([
      "no smtp settings with a topicArn: e-mail goes either through an SNS topic's e-mail subscription (SigV4, no password) or through an SMTP relay",
    ]);
  });

  test("a webhook receiver names its URL's Secrets Manager secret under <env>/monitoring/", () => {
    const [loaded] = loadEnvironments(
      environmentFolder({
        prod: {
          ...rawEnvironment("prod"),
          monitoring: {
            receivers: {
              critical: {
                type: "webhook",
                secret: { name: "prod/monitoring/pagerduty", key: "url" },
              },
            },
          },
        },
      }),
    );
    expect(loaded.config.monitoring.receivers.critical).toEqual({
      type: "webhook",
      secret: { name: "prod/monitoring/pagerduty", key: "url" },
    });
  });

  test("fails when a webhook receiver's secret is outside <env>/monitoring/", () => {
    const lines = problemsFor(
      (raw) =>
        (raw.monitoring = {
          receivers: { critical: { type: "webhook", secret: { name: "prod/web/pagerduty" } } },
        }),
    );
    expect(lines.map((l) => l.replace(/^\S+prod\.yaml: /, ""))).toEqual([
      'monitoring.receivers.critical.secret.name: received "prod/web/pagerduty"; expected a name starting with "prod/monitoring/" (the monitoring SecretStore\'s role reads only prod/monitoring/*)',
    ]);
  });

  test("fails when a webhook receiver names a Kubernetes Secret the old way (secretName, secretKey)", () => {
    const lines = problemsFor(
      (raw) =>
        (raw.monitoring = {
          receivers: {
            warning: { type: "webhook", secretName: "alert-webhooks", secretKey: "warning-url" },
          },
        }),
    );
    expect(lines.map((l) => l.replace(/^\S+prod\.yaml: /, "").split(";")[0])).toEqual([
      "monitoring.receivers.warning.secret: received nothing",
      'monitoring.receivers.warning.secretName: received "alert-webhooks"',
      'monitoring.receivers.warning.secretKey: received "warning-url"',
    ]);
  });

  test("apps.<app>.secrets: ENV names, each secret named <env>/<app>/..., every problem at once", () => {
    const lines = problemsFor((raw) => {
      raw.apps.web.secrets = {
        API_TOKEN: { name: "prod/api/token" },
        "api-key": { name: "prod/web/key" },
        OTHER_ENV: { name: "staging/web/x", key: "a b" },
      };
    });
    expect(lines.map((l) => l.replace(/^\S+prod\.yaml: /, ""))).toEqual([
      'apps.web.secrets.API_TOKEN.name: received "prod/api/token"; expected a name starting with "prod/web/" (the app\'s secrets role reads only prod/web/*)',
      'apps.web.secrets.api-key: received "api-key"; expected an environment variable name: A-Z, 0-9 and _, not starting with a digit',
      'apps.web.secrets.OTHER_ENV.name: received "staging/web/x"; expected a name starting with "prod/web/" (the app\'s secrets role reads only prod/web/*)',
      'apps.web.secrets.OTHER_ENV.key: received "a b"; expected a key of the secret\'s JSON object (1-256 characters, no spaces), or no key for the whole secret',
    ]);
  });

  test("fails when a file that syncs secrets is on a Kubernetes minor External Secrets Operator is not tested on", () => {
    const lines = problemsFor((raw) => (raw.cluster.kubernetesVersion = "1.34"));
    expect(lines.map((l) => l.replace(/^\S+prod\.yaml: /, ""))).toEqual([
      'cluster.kubernetesVersion: received "1.34"; expected a Kubernetes minor external-secrets 2.8.0 is tested on: 1.35, 1.36 (external-secrets docs/introduction/stability-support.md); for another minor pick a chart version tested on it (apps.web.secrets, apps.web.database, monitoring.receivers.critical, monitoring.receivers.warning, monitoring.receivers.watchdog need External Secrets Operator)',
    ]);
    // without secrets, a database and receiver secrets nothing needs the operator, and 1.34 is accepted
    const [loaded] = loadEnvironments(
      environmentFolder({
        prod: (() => {
          const raw = rawEnvironment("prod") as any;
          raw.cluster.kubernetesVersion = "1.34";
          delete raw.apps.web.secrets;
          delete raw.apps.web.database;
          delete raw.apps.web.migrations;
          delete raw.monitoring;
          return raw;
        })(),
      }),
    );
    expect(loaded.config.cluster.kubernetesVersion).toBe("1.34");
  });

  test("apps: rules of the blue/green release, with apps.<name>.* field paths", () => {
    const lines = problemsFor((raw) => {
      raw.apps.web.release.canaryWeight = 120;
      raw.apps.web.namespace = "default";
      raw.apps.web.chart.version = "^6.7.0";
    });
    const fields = lines.map((l) => l.replace(/^\S+prod\.yaml: /, "").split(": received")[0]);
    expect(fields).toEqual(
      expect.arrayContaining([
        "apps.web.release.canaryWeight",
        "apps.web.namespace",
        "apps.web.chart.version",
      ]),
    );
  });

  test("apps: each colour must pin its chart version and values", () => {
    expect(
      problemsFor((raw) => {
        delete raw.apps.web.release.blue.chart;
        delete raw.apps.web.release.green.values;
      }).map((line) => line.replace(/^\S*\//, "")),
    ).toEqual([
      "prod.yaml: apps.web.release.blue.chart: received nothing; expected the exact chart version this colour runs, e.g. 6.7.1 (each colour pins its own; apps.<app>.chart.version is only the default for the next colour started) (required field is missing)",
      "prod.yaml: apps.web.release.green.values: received nothing; expected this colour's own Helm values, {} for none (each colour pins its own; apps.<app>.values are only the default for the next colour started) (required field is missing)",
    ]);
    expect(problemsFor((raw) => (raw.apps.web.release.blue.chart = "6.x"))).toEqual([
      expect.stringContaining(
        'prod.yaml: apps.web.release.blue.chart: received "6.x"; expected an exact chart version such as 6.7.1',
      ),
    ]);
  });

  test("apps: an HPA over a container without a CPU request is refused in the file", () => {
    expect(
      problemsFor(
        (raw) => (raw.apps.web.release.green.values = { resources: { requests: { cpu: null } } }),
      ),
    ).toEqual([
      expect.stringMatching(
        /prod\.yaml: apps\.web\.release\.green\.values\.resources\.requests\.cpu: received null; expected a CPU request greater than zero, such as 100m: the HPA scales on CPU utilization, a percentage of the request \(or set autoscaling\.enabled: false\)$/,
      ),
    ]);
  });

  test("apps: values the restricted namespace would reject are refused, unless baseline is chosen", () => {
    const root = (raw: Record<string, any>) =>
      (raw.apps.web.release.blue.values = { securityContext: { runAsUser: 0 } });
    expect(problemsFor(root)).toEqual([
      expect.stringContaining(
        'prod.yaml: apps.web.release.blue.values.securityContext.runAsUser: received 0; expected a non-zero UID (Pod Security "restricted", enforced on the app namespace); or set podSecurityStandard: baseline',
      ),
    ]);
    const relaxed = environment("prod", (raw: Record<string, any>) => {
      root(raw);
      raw.apps.web.podSecurityStandard = "baseline";
    });
    expect(relaxed.apps.web.podSecurityStandard).toBe("baseline");
    expect(problemsFor((raw) => (raw.apps.web.podSecurityStandard = "privileged"))).toEqual([
      expect.stringContaining(
        'apps.web.podSecurityStandard: received "privileged"; expected one of "baseline" | "restricted"',
      ),
    ]);
  });

  test("reports every problem of every file in one message", () => {
    const prod = rawEnvironment("prod") as Record<string, any>;
    prod.account = "abc";
    prod.network.cidr = "10.0.0.0/8";
    prod.network.natGateways = "single";
    prod.network.availabilityZones = ["eu-west-1a", "eu-west-1a"];
    const dev = rawEnvironment("dev") as Record<string, any>;
    dev.name = "development";
    dev.extra = true;
    const dir = environmentFolder({ prod, dev });
    let message = "";
    try {
      loadEnvironments(dir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split("\n").map((l) => l.replace(/^\s+\S*\/(\w+\.yaml)/, "$1"))).toEqual([
      "Invalid environment configuration: 6 problems in 2 files",
      'dev.yaml: extra: received true; expected no field named "extra" here (unknown field; allowed: name, tier, account, region, deployRoleArn, state, tags, network, cluster, registry, database, dns, cdn, alerts, monitoring, tracing, logs, apps, releaseBackups, notifications, pipeline, github)',
      'dev.yaml: name: received "development"; expected "dev", the file\'s name without .yaml',
      'prod.yaml: account: received "abc"; expected a 12-digit AWS account id as a quoted string',
      'prod.yaml: network.cidr: received "10.0.0.0/8"; expected a prefix length from /16 to /28 (the VPC limits)',
      'prod.yaml: network.availabilityZones[1]: received "eu-west-1a"; expected each availability zone once (duplicate)',
      'prod.yaml: network.natGateways: received "single"; expected "perAz" in the production tier (one NAT per AZ, so one AZ failure cannot cut egress)',
    ]);
  });

  test("fails on YAML syntax errors with the position", () => {
    const result = parseEnvironment("name: dev\n  bad: [", "dev");
    expect(result.config).toBeUndefined();
    expect(result.problems[0]).toMatchObject({ field: "(yaml)", expected: "valid YAML" });
    expect(String(result.problems[0].received)).toMatch(/line \d+/);
  });
});

describe("cacheParsedEnvironments", () => {
  test("a parsed file read back from the cache gives what parsing gives", () => {
    const texts = readdirSync(ENVIRONMENTS_DIR)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => [f.replace(/\.yaml$/, ""), readFileSync(join(ENVIRONMENTS_DIR, f), "utf8")]);
    // anchors and aliases, special numbers, a shared reference, unusual keys
    const special =
      "name: dev\nx: &a { k: [1, .nan, -.inf, -0] }\ny: *a\n'__proto__': 1\n10: ten\n";
    const parsedYaml = [...texts, ["special", special]].map(([stem, text]) =>
      parseEnvironment(text, stem),
    );
    cacheParsedEnvironments(join(mkdtempSync(join(tmpdir(), "yaml-cache-")), "cache"));
    for (const round of [1, 2]) {
      const again = [...texts, ["special", special]].map(([stem, text]) =>
        parseEnvironment(text, stem),
      );
      expect({ round, again }).toEqual({ round, again: parsedYaml });
    }
    expect(parseEnvironment("name: dev\n  bad: [", "dev")).toEqual(
      parseEnvironment("name: dev\n  bad: [", "dev"),
    );
    expect(parseEnvironment("name: dev\n  bad: [", "dev").problems.length).toBeGreaterThan(0);
  });
});
