/**
 * The Helm chart (deploy/chart), rendered by a real Helm 4 and every object checked against Kubernetes'
 * schemas, strictly; then its contracts: the probes, a grace period above the server's shutdown, two replicas
 * and their disruption budget, a locked-down container that writes only to its volumes, credentials only
 * from Secrets named in the values (never a value, never in the ConfigMap), one read-only kubeconfig per
 * stack, the network policy, and values.schema.json refusing bad values. Rendered as Kubernetes reads YAML
 * (1.1: `0440` is octal), with stacks of a fixture's own (no assumption on this repository's stack files).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { toYaml } from "../model/yaml";
import { DEFAULT_LIMITS, settingsFromEnv } from "../server/settings";
import { helmBinary, helmTemplateRun } from "./fixtures/helm";
import { kubeObjectProblems } from "./fixtures/kube-schemas";

const ROOT = join(__dirname, "..");
const CHART = join(ROOT, "deploy", "chart");

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [k: string]: any;
}

function helm(args: readonly string[], values: unknown) {
  return spawnSync(helmBinary(), args, { input: toYaml(values), encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
}

/** `helm template portal deploy/chart -n mesh -f -` with these values (each distinct run once: helmTemplateRun). */
const template = (values: unknown) => helmTemplateRun(["template", "portal", CHART, "-n", "mesh", "-f", "-"], toYaml(values), CHART);

/** `helm template portal deploy/chart -n mesh -f <values>`: every object, parsed as Kubernetes parses YAML. */
function render(values: unknown = {}): Obj[] {
  const r = template(values);
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout, { version: "1.1" })
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
}

/** What Helm says when it refuses these values. */
function refusal(values: unknown): string {
  const r = template(values);
  assert.notEqual(r.status, 0, `rendered: ${JSON.stringify(values)}`);
  return r.stderr;
}

const one = (objs: readonly Obj[], kind: string): Obj => {
  const found = objs.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `${kind}: ${found.length}`);
  return found[0]!;
};
const podSpec = (objs: readonly Obj[]) => one(objs, "Deployment").spec.template.spec;
const container = (objs: readonly Obj[]) => podSpec(objs).containers[0];

/** Every option on: browser sign-in with OIDC, Pulumi Cloud, ACK and OSS credentials, two kubeconfig stacks. */
const FULL = {
  publicUrl: "https://portal.example.internal",
  image: { repository: "registry.example.internal/mesh/portal", digest: `sha256:${"ab".repeat(32)}` },
  imagePullSecrets: [{ name: "registry-pull" }],
  auth: {
    oidc: {
      issuer: "https://id.example.internal/realms/platform",
      audience: "mesh-portal",
      jwksUrl: "https://id.example.internal/realms/platform/protocol/openid-connect/certs",
      roleClaim: "groups",
      maxTokenAge: "1h",
      clientId: "mesh-portal",
      scopes: "openid profile email groups",
      clientSecret: { secretName: "portal-oidc", key: "client-secret" },
    },
    session: { maxAge: "8h", idle: "20m" },
  },
  pulumi: { accessTokenKey: "access-token", organization: "platform", secretsProvider: "passphrase", readTimeoutSeconds: 45 },
  credentials: {
    alicloud: { secretName: "portal-alicloud" },
    s3: { secretName: "portal-oss", region: "cn-shanghai" },
    helmRegistry: { secretName: "portal-helm-registry" },
  },
  kubeconfigs: {
    "suzhou-dc": { secretName: "kubeconfig-suzhou", key: "config" },
    changzhou: { secretName: "kubeconfig-changzhou", key: "kubeconfig" },
  },
  verify: { contexts: { changzhou: "changzhou-reader" }, wait: "2m" },
  extraEnv: { ALICLOUD_REGION: "cn-shanghai" },
  extraSecretEnv: { GITHUB_TOKEN: { secretName: "portal-github", key: "token" } },
};

/** The variables the chart takes from Secrets. */
const SECRET_VARIABLES = [
  "MESH_DATABASE_URL",
  "MESH_API_TOKENS",
  "MESH_SESSION_SECRET",
  "MESH_OIDC_CLIENT_SECRET",
  "PULUMI_BACKEND_URL",
  "PULUMI_CONFIG_PASSPHRASE",
  "PULUMI_ACCESS_TOKEN",
  "ALICLOUD_ACCESS_KEY",
  "ALICLOUD_SECRET_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "GITHUB_TOKEN",
];

describe("the chart, rendered by Helm", () => {
  it("passes helm lint --strict with its defaults and with every option set", () => {
    for (const values of [{}, FULL]) {
      const r = helm(["lint", CHART, "--strict", "-f", "-"], values);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it("renders exactly a ConfigMap, a Deployment, a NetworkPolicy, a PodDisruptionBudget, a Service and a ServiceAccount, and no Secret", () => {
    for (const values of [{}, FULL])
      assert.deepEqual(
        render(values)
          .map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`)
          .sort(),
        [
          "apps/v1 Deployment portal-mesh-portal",
          "networking.k8s.io/v1 NetworkPolicy portal-mesh-portal",
          "policy/v1 PodDisruptionBudget portal-mesh-portal",
          "v1 ConfigMap portal-mesh-portal",
          "v1 Service portal-mesh-portal",
          "v1 ServiceAccount portal-mesh-portal",
        ],
      );
  });

  it("every object it renders is valid against Kubernetes' schemas, with no unknown field", () => {
    for (const values of [{}, FULL, { replicaCount: 1, networkPolicy: { enabled: false }, serviceAccount: { create: false } }])
      for (const o of render(values)) assert.deepEqual(kubeObjectProblems(o), [], `${o.kind} ${o.metadata.name}`);
  });

  it("the schema check itself catches a misspelt field, a missing name and a value outside an enum", () => {
    const deployment = structuredClone(one(render(), "Deployment"));
    deployment.spec.template.spec.containers[0].readinesProbe = deployment.spec.template.spec.containers[0].readinessProbe;
    delete deployment.spec.template.spec.containers[0].name;
    deployment.spec.template.spec.securityContext.seccompProfile.type = "Default";
    const problems = kubeObjectProblems(deployment).join("\n");
    assert.match(problems, /containers\/0 must NOT have additional properties \(readinesProbe\)/);
    assert.match(problems, /containers\/0 must have required property name/);
    assert.match(problems, /seccompProfile\/type must be equal to one of the allowed values/);
  });
});

describe("the pod", () => {
  const objs = render();

  it("is probed on the server's own routes: ready on /readyz, alive on /healthz, given time to start", () => {
    const c = container(objs);
    assert.deepEqual(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    assert.deepEqual(c.readinessProbe, {
      httpGet: { path: "/readyz", port: "http" },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 2,
    });
    assert.deepEqual(c.livenessProbe, {
      httpGet: { path: "/healthz", port: "http" },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    });
    assert.deepEqual(c.startupProbe, {
      httpGet: { path: "/healthz", port: "http" },
      periodSeconds: 2,
      timeoutSeconds: 2,
      failureThreshold: 60,
    });
    assert.equal(one(objs, "ConfigMap").data.MESH_API_PORT, "8080");
    assert.deepEqual(one(objs, "Service").spec.ports, [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
  });

  it("is given longer to stop than the server's shutdown takes: preStop, the jobs' grace, then 10 s to end the streams", () => {
    const spec = podSpec(objs);
    const preStop = Number(container(objs).lifecycle.preStop.exec.command[1]);
    assert.deepEqual(container(objs).lifecycle.preStop.exec.command, ["sleep", "5"]);
    assert.equal(spec.terminationGracePeriodSeconds, 60);
    assert.ok(spec.terminationGracePeriodSeconds > preStop + DEFAULT_LIMITS.shutdownGraceMs / 1000 + 10);
    assert.match(
      refusal({ terminationGracePeriodSeconds: 45 }),
      /terminationGracePeriodSeconds: 45 is too short: the pod needs preStopSleepSeconds \(5\) \+ 30 s .* set it above 45/,
    );
    assert.equal(podSpec(render({ terminationGracePeriodSeconds: 46 })).terminationGracePeriodSeconds, 46);
  });

  it("runs 2 replicas one rollout step at a time, spread over nodes, with a budget of 1 available; 1 replica has no budget", () => {
    const d = one(objs, "Deployment");
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const pdb = one(objs, "PodDisruptionBudget");
    assert.equal(pdb.spec.minAvailable, 1);
    assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels);
    for (const [k, v] of Object.entries(d.spec.selector.matchLabels as Record<string, string>))
      assert.equal(d.spec.template.metadata.labels[k], v);
    assert.deepEqual(podSpec(objs).topologySpreadConstraints, [
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: d.spec.selector.matchLabels },
      },
    ]);
    assert.equal(
      render({ replicaCount: 1 }).find((o) => o.kind === "PodDisruptionBudget"),
      undefined,
    );
  });

  it("runs as the image's user, non-root, read-only, no capabilities, RuntimeDefault seccomp, no service account token", () => {
    const dockerUser = /^USER (\d+):(\d+)$/m.exec(readFileSync(join(ROOT, "Dockerfile"), "utf8"))!;
    const spec = podSpec(objs);
    assert.deepEqual(spec.securityContext, {
      runAsNonRoot: true,
      runAsUser: Number(dockerUser[1]),
      runAsGroup: Number(dockerUser[2]),
      fsGroup: Number(dockerUser[2]),
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(container(objs).securityContext, {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(one(objs, "ServiceAccount").automountServiceAccountToken, false);
  });

  it("writes only to two size-limited emptyDirs, /tmp and the image's HOME and PULUMI_HOME; every other mount is read-only", () => {
    const full = render(FULL);
    const spec = podSpec(full);
    const writable = (container(full).volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[]).filter((m) => !m.readOnly);
    assert.deepEqual(writable, [
      { name: "tmp", mountPath: "/tmp" },
      { name: "home", mountPath: "/var/lib/mesh" },
    ]);
    assert.deepEqual(
      spec.volumes.filter((v: any) => v.emptyDir),
      [
        { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
        { name: "home", emptyDir: { sizeLimit: "2Gi" } },
      ],
    );
    // the image keeps the CLI's state and the server's HOME there (Dockerfile ENV)
    const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    assert.match(dockerfile, /^\s+HOME=\/var\/lib\/mesh \\$/m);
    assert.match(dockerfile, /^\s+PULUMI_HOME=\/var\/lib\/mesh\/\.pulumi \\$/m);
  });

  it("asks for CPU and memory, and caps memory", () => {
    assert.deepEqual(container(objs).resources, { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "3Gi" } });
  });

  it("pulls the image by digest when one is given, else by the chart's appVersion, which is the project's version", () => {
    const chart = parse(readFileSync(join(CHART, "Chart.yaml"), "utf8")) as { appVersion: string };
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    assert.equal(chart.appVersion, pkg.version);
    assert.equal(container(objs).image, `mesh-registry.cn-shanghai.cr.aliyuncs.com/mesh/portal:${pkg.version}`);
    assert.equal(container(render(FULL)).image, `registry.example.internal/mesh/portal@sha256:${"ab".repeat(32)}`);
  });
});

describe("credentials", () => {
  const full = render(FULL);

  it("every credential is a secretKeyRef to a Secret named in the values; no variable of the pod has a literal value", () => {
    const env = container(full).env as { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
    assert.ok(env.every((e) => e.value === undefined));
    assert.deepEqual(Object.fromEntries(env.map((e) => [e.name, `${e.valueFrom!.secretKeyRef.name}/${e.valueFrom!.secretKeyRef.key}`])), {
      MESH_DATABASE_URL: "mesh-portal-database/url",
      MESH_API_TOKENS: "mesh-portal-tokens/tokens.json",
      MESH_SESSION_SECRET: "mesh-portal-session/session-secret",
      MESH_OIDC_CLIENT_SECRET: "portal-oidc/client-secret",
      PULUMI_BACKEND_URL: "mesh-portal-pulumi/backend-url",
      PULUMI_CONFIG_PASSPHRASE: "mesh-portal-pulumi/passphrase",
      PULUMI_ACCESS_TOKEN: "mesh-portal-pulumi/access-token",
      ALICLOUD_ACCESS_KEY: "portal-alicloud/access-key",
      ALICLOUD_SECRET_KEY: "portal-alicloud/secret-key",
      AWS_ACCESS_KEY_ID: "portal-oss/access-key-id",
      AWS_SECRET_ACCESS_KEY: "portal-oss/secret-access-key",
      GITHUB_TOKEN: "portal-github/token",
    });
    assert.deepEqual(
      env.map((e) => e.name),
      SECRET_VARIABLES,
    );
    assert.deepEqual(container(full).envFrom, [{ configMapRef: { name: "portal-mesh-portal" } }]);
  });

  it("by default: the database, the tokens and the backend's URL and passphrase; no session secret without publicUrl", () => {
    const env = container(render()).env as { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[];
    assert.deepEqual(
      env.map((e) => `${e.name}=${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`),
      [
        "MESH_DATABASE_URL=mesh-portal-database/url",
        "MESH_API_TOKENS=mesh-portal-tokens/tokens.json",
        "PULUMI_BACKEND_URL=mesh-portal-pulumi/backend-url",
        "PULUMI_CONFIG_PASSPHRASE=mesh-portal-pulumi/passphrase",
      ],
    );
  });

  it("the ConfigMap holds the server's plain settings and none of the secret variables", () => {
    const data = one(full, "ConfigMap").data as Record<string, string>;
    assert.deepEqual(data, {
      MESH_API_HOST: "0.0.0.0",
      MESH_API_PORT: "8080",
      MESH_PULUMI_ORG: "platform",
      MESH_SECRETS_PROVIDER: "passphrase",
      MESH_PULUMI_TIMEOUT: "45",
      MESH_JOB_RETENTION_DAYS: "90",
      MESH_JOB_RETENTION_COUNT: "10000",
      MESH_PUBLIC_URL: "https://portal.example.internal",
      MESH_OIDC_ISSUER: "https://id.example.internal/realms/platform",
      MESH_OIDC_AUDIENCE: "mesh-portal",
      MESH_OIDC_JWKS_URL: "https://id.example.internal/realms/platform/protocol/openid-connect/certs",
      MESH_OIDC_ROLE_CLAIM: "groups",
      MESH_OIDC_MAX_TOKEN_AGE: "1h",
      MESH_OIDC_CLIENT_ID: "mesh-portal",
      MESH_OIDC_SCOPES: "openid profile email groups",
      MESH_SESSION_MAX_AGE: "8h",
      MESH_SESSION_IDLE: "20m",
      KUBECONFIG: "/etc/mesh/kubeconfigs/changzhou/kubeconfig:/etc/mesh/kubeconfigs/suzhou-dc/kubeconfig",
      MESH_VERIFY_KUBECONFIGS: "changzhou=/etc/mesh/kubeconfigs/changzhou/kubeconfig,suzhou-dc=/etc/mesh/kubeconfigs/suzhou-dc/kubeconfig",
      MESH_VERIFY_CONTEXTS: "changzhou=changzhou-reader",
      MESH_VERIFY_WAIT: "2m",
      HELM_REGISTRY_CONFIG: "/etc/mesh/helm/config.json",
      AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
      AWS_REGION: "cn-shanghai",
      ALICLOUD_REGION: "cn-shanghai",
    });
    assert.deepEqual(
      SECRET_VARIABLES.filter((v) => v in data),
      [],
    );
  });

  it("the server's own settings parser takes the environment the chart gives it: listening on all addresses, OIDC, both stacks' kubeconfigs", () => {
    const data = one(full, "ConfigMap").data as Record<string, string>;
    // the Secrets' values, as the operator would create them
    const tokens = JSON.stringify([{ name: "portal", role: "operator", sha256: "a".repeat(64) }]);
    const settings = settingsFromEnv({ ...data, MESH_API_TOKENS: tokens });
    assert.equal(settings.host, "0.0.0.0");
    assert.equal(settings.port, 8080);
    assert.equal(settings.auth.oidc?.issuer, FULL.auth.oidc.issuer);
    assert.deepEqual(
      settings.auth.tokens.map((t) => t.name),
      ["portal"],
    );
    assert.deepEqual(settings.verify, {
      kubeconfig: ["changzhou=/etc/mesh/kubeconfigs/changzhou/kubeconfig", "suzhou-dc=/etc/mesh/kubeconfigs/suzhou-dc/kubeconfig"],
      context: ["changzhou=changzhou-reader"],
      wait: "2m",
    });
  });

  it("mounts each stack's kubeconfig read-only from its own Secret, readable by the pod's group only, and the registry logins likewise", () => {
    const spec = podSpec(full);
    assert.deepEqual(
      spec.volumes.filter((v: any) => v.secret),
      [
        {
          name: "kubeconfig-0",
          secret: { secretName: "kubeconfig-changzhou", defaultMode: 0o440, items: [{ key: "kubeconfig", path: "kubeconfig" }] },
        },
        {
          name: "kubeconfig-1",
          secret: { secretName: "kubeconfig-suzhou", defaultMode: 0o440, items: [{ key: "config", path: "kubeconfig" }] },
        },
        {
          name: "helm-registry",
          secret: { secretName: "portal-helm-registry", defaultMode: 0o440, items: [{ key: "config.json", path: "config.json" }] },
        },
      ],
    );
    assert.deepEqual(
      (container(full).volumeMounts as { readOnly?: boolean }[]).filter((m) => m.readOnly),
      [
        { name: "kubeconfig-0", mountPath: "/etc/mesh/kubeconfigs/changzhou", readOnly: true },
        { name: "kubeconfig-1", mountPath: "/etc/mesh/kubeconfigs/suzhou-dc", readOnly: true },
        { name: "helm-registry", mountPath: "/etc/mesh/helm", readOnly: true },
      ],
    );
    // with no stack listed, nothing is mounted and KUBECONFIG stays the default
    assert.equal(podSpec(render()).volumes.length, 2);
    assert.equal("KUBECONFIG" in one(render(), "ConfigMap").data, false);
  });

  it("a changed setting rolls the pods", () => {
    const a = one(render(), "Deployment").spec.template.metadata.annotations["checksum/config"];
    const b = one(render({ jobs: { retentionDays: 30 } }), "Deployment").spec.template.metadata.annotations["checksum/config"];
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, b);
  });
});

describe("the network policy", () => {
  it("lets in only the peers named, on the API's port, and lets out DNS and the rules named", () => {
    const objs = render();
    const np = one(objs, "NetworkPolicy");
    assert.deepEqual(np.spec.podSelector, one(objs, "Deployment").spec.selector);
    assert.deepEqual(np.spec.policyTypes, ["Ingress", "Egress"]);
    assert.deepEqual(np.spec.ingress, [{ from: [{ podSelector: {} }], ports: [{ port: "http", protocol: "TCP" }] }]);
    assert.deepEqual(np.spec.egress, [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { port: 53, protocol: "UDP" },
          { port: 53, protocol: "TCP" },
        ],
      },
      { ports: [{ port: 5432, protocol: "TCP" }] },
      {
        ports: [
          { port: 443, protocol: "TCP" },
          { port: 6443, protocol: "TCP" },
        ],
      },
    ]);
  });

  it("takes the ingress controller and narrowed egress as given", () => {
    const ingressFrom = [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }];
    const egress = [{ to: [{ ipBlock: { cidr: "10.18.0.0/16" } }], ports: [{ port: 6443, protocol: "TCP" }] }];
    const np = one(render({ networkPolicy: { ingressFrom, egress } }), "NetworkPolicy");
    assert.deepEqual(np.spec.ingress[0].from, ingressFrom);
    assert.deepEqual(np.spec.egress.slice(1), egress);
  });
});

describe("values.schema.json and the chart's rules refuse bad values, naming the value", () => {
  const cases: [string, unknown, RegExp][] = [
    ["a misspelt key", { replicas: 3 }, /additional properties 'replicas' not allowed/],
    ["the tag latest", { image: { tag: "latest" } }, /at '\/image\/tag'/],
    ["a digest that is not sha256", { image: { digest: "sha256:abc" } }, /at '\/image\/digest'/],
    [
      "a credential as a value",
      { database: { url: "postgres://mesh:secret@db:5432/jobs" } },
      /at '\/database': additional properties 'url' not allowed/,
    ],
    ["no database Secret", { database: { secretName: "" } }, /at '\/database\/secretName'/],
    ["a Secret name Kubernetes refuses", { auth: { tokens: { secretName: "Portal_Tokens" } } }, /at '\/auth\/tokens\/secretName'/],
    [
      "a stack name the server refuses",
      { kubeconfigs: { "wu xi": { secretName: "k", key: "kubeconfig" } } },
      /invalid propertyName 'wu xi'.*\n.*does not match pattern/,
    ],
    ["an ingress open to everyone", { networkPolicy: { ingressFrom: [] } }, /at '\/networkPolicy\/ingressFrom'/],
    ["no replica", { replicaCount: 0 }, /at '\/replicaCount'/],
    ["a grace period below the server's shutdown", { terminationGracePeriodSeconds: 30 }, /at '\/terminationGracePeriodSeconds'/],
    ["no memory request", { resources: { requests: { memory: null } } }, /at '\/resources\/requests'/],
    ["a variable name the shell cannot take", { extraEnv: { "not-a-name": "x" } }, /invalid propertyName 'not-a-name'/],
    ["a verify wait that is not a duration", { verify: { wait: "two minutes" } }, /at '\/verify\/wait'/],
    [
      "no authentication",
      { auth: { tokens: { secretName: "" } } },
      /auth: set auth.tokens.secretName \(static bearer tokens\) or auth.oidc.issuer \(OIDC\): the server refuses to start without authentication/,
    ],
    [
      "OIDC bearer tokens without the audience",
      { auth: { oidc: { issuer: "https://id.example", jwksUrl: "https://id.example/jwks" } } },
      /set issuer, audience and jwksUrl together/,
    ],
    [
      "an OIDC issuer with neither bearer tokens nor sign-in",
      { auth: { tokens: { secretName: "" }, oidc: { issuer: "https://id.example" } } },
      /auth.oidc.issuer: set audience and jwksUrl \(bearer access tokens\), or clientId \(browser sign-in\), or both/,
    ],
    [
      "browser sign-in without the portal's address",
      { auth: { oidc: { issuer: "https://id.example", clientId: "portal" } } },
      /auth.oidc.clientId: browser sign-in needs auth.oidc.issuer and publicUrl/,
    ],
    [
      "a client secret without a client",
      { auth: { oidc: { clientSecret: { secretName: "portal-oidc", key: "client-secret" } } } },
      /auth.oidc.clientSecret: a client secret without auth.oidc.clientId/,
    ],
    [
      "browser sessions without a shared session secret",
      { publicUrl: "https://portal.example", auth: { session: { secretName: "" } } },
      /auth.session.secretName: with publicUrl, the replicas need one session secret \(MESH_SESSION_SECRET\)/,
    ],
    ["a public address with a path", { publicUrl: "https://portal.example/mesh" }, /at '\/publicUrl'/],
    ["a public address over http", { publicUrl: "http://portal.example" }, /at '\/publicUrl'/],
  ];
  for (const [what, values, message] of cases) it(`refuses ${what}`, () => assert.match(refusal(values), message));
});

it("the chart's Helm is the one the other tests render Istio's charts with (v4)", () => {
  assert.match(execFileSync(helmBinary(), ["version", "--short"], { encoding: "utf8" }), /^v4\./);
});
