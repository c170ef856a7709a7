/**
 * Where a cluster's Istio comes from: the three charts (from an https:// Helm repository, an oci://
 * registry or a folder vendored in the project) and every image the mesh runs, as the charts derive
 * them (the gateway chart's `image: auto`; istiod's deployment and injection templates): istiod's own `<hub>/pilot`, and
 * `<hub>/proxyv2` for every injected proxy, the east-west gateway's included (its image is `auto`).
 */
import { posix } from "node:path";
import { ISTIO_CHART_REPO } from "./istio-facts";
import type { ReleaseSpec } from "./kube-types";
import { ISTIO_DEFAULT_HUB } from "./defaults";

export { ISTIO_DEFAULT_HUB } from "./defaults";

export type ChartSource =
  | { readonly kind: "https"; readonly url: string }
  | { readonly kind: "oci"; readonly url: string }
  /** A folder of the project (relative to Pulumi.yaml) holding the charts, unpacked or as `.tgz`. */
  | { readonly kind: "local"; readonly dir: string };

/** Why `repo` cannot be a chart source, or undefined. Never echoes it (a URL may carry a password). */
export function chartSourceProblem(repo: string): { message: string; fix: string } | undefined {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(repo) && !/^(https|oci):\/\//.test(repo)) {
    return {
      message: "an unsupported scheme: only https:// Helm repositories, oci:// registries and folders of this project",
      fix: `use e.g. ${ISTIO_CHART_REPO}, oci://<instance>-registry.cn-shanghai.cr.aliyuncs.com/<namespace>, or ./charts/istio-<version>`,
    };
  }
  if (/^(https|oci):\/\//.test(repo)) return undefined;
  if (repo.includes("\0") || repo.includes("\\"))
    return { message: "not a path", fix: "write a folder of this project, e.g. ./charts/istio-1.30.3" };
  if (posix.isAbsolute(repo) || /^~/.test(repo)) {
    return {
      message: "an absolute path: it would differ on every machine that runs pulumi up",
      fix: "vendor the charts inside the project and give a path relative to Pulumi.yaml, e.g. ./charts/istio-1.30.3",
    };
  }
  const normal = posix.normalize(repo);
  if (normal === ".." || normal.startsWith("../")) {
    return { message: "leaves the project's folder", fix: "vendor the charts inside the project, e.g. ./charts/istio-1.30.3" };
  }
  return undefined;
}

export function chartSource(repo: string): ChartSource {
  if (repo.startsWith("https://")) return { kind: "https", url: repo.replace(/\/+$/, "") };
  if (repo.startsWith("oci://")) return { kind: "oci", url: repo.replace(/\/+$/, "") };
  return { kind: "local", dir: `./${posix.normalize(repo).replace(/\/+$/, "")}`.replace(/^\.\/\.\//, "./") };
}

/** How a local chart was vendored: unpacked (`<dir>/<chart>/Chart.yaml`) or as `helm pull` saves it. */
export type LocalChartForm = "dir" | "tgz";

/** The files a vendored chart may be: its folder, or `<chart>-<version>.tgz`. */
export function localChartPath(dir: string, chart: string, version: string, form: LocalChartForm): string {
  return form === "dir" ? `${dir}/${chart}` : `${dir}/${chart}-${version}.tgz`;
}

/** The `helm.v3.Release` arguments that say where its chart comes from (pulumi-kubernetes `chartPathOptionsFromRelease`). */
export interface ReleaseChartArgs {
  /** A name in `repositoryOpts.repo`, an `oci://` reference, or a local path. */
  readonly chart: string;
  /** Left out for a local chart: the chart's own version is what installs. */
  readonly version?: string;
  readonly repositoryOpts?: { readonly repo: string };
}

export function releaseChartArgs(
  spec: Pick<ReleaseSpec, "chart" | "version" | "repo">,
  localForm: LocalChartForm = "dir",
): ReleaseChartArgs {
  const source = chartSource(spec.repo);
  switch (source.kind) {
    case "https":
      return { chart: spec.chart, version: spec.version, repositoryOpts: { repo: source.url } };
    case "oci":
      // an oci:// chart reference carries its registry; repositoryOpts would be ignored
      return { chart: `${source.url}/${spec.chart}`, version: spec.version };
    case "local":
      return { chart: localChartPath(source.dir, spec.chart, spec.version, localForm) };
  }
}

/**
 * Where to push an image the nodes pull as `ref`. An ACR Enterprise Edition instance has a VPC endpoint
 * (`<instance>-registry-vpc.<region>.cr.aliyuncs.com`), which nodes use, and a public one for the same
 * registry (`<instance>-registry.<region>.cr.aliyuncs.com`), which a machine outside the VPC pushes to.
 */
export function pushReference(ref: string): string {
  return ref.replace(/^([a-z0-9-]+)-registry-vpc\.([a-z0-9-]+)\.cr\.aliyuncs\.com\//, "$1-registry.$2.cr.aliyuncs.com/");
}

/** An image reference's registry host, as a container runtime reads it (no host means Docker Hub). */
export function imageHost(ref: string): string {
  const first = ref.split("/")[0]!;
  return ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

/** The host a chart is fetched from, or undefined for a local folder. */
export function chartHost(repo: string): string | undefined {
  const s = chartSource(repo);
  return s.kind === "local" ? undefined : new URL(s.url.replace(/^oci:/, "https:")).host;
}

type Values = Readonly<Record<string, unknown>>;
const obj = (v: unknown): Values => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Values) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** `hub/image:tag[-variant]`, or `image` itself when it is a full reference (as istiod's templates do). */
function imageRef(hub: string, image: string, tag: string, variant: string | undefined): string {
  if (image.includes("/")) return image;
  return `${hub}/${image}:${tag}${variant ? `-${variant}` : ""}`;
}

/** The images a cluster runs, from istiod's effective values: istiod, and the proxy every injection uses. */
export function meshImages(istiodValues: Values): { readonly istiod: string; readonly proxy: string } {
  const global = obj(istiodValues.global);
  const hub = str(istiodValues.hub) ?? str(global.hub) ?? ISTIO_DEFAULT_HUB;
  const tag = str(istiodValues.tag) ?? str(global.tag) ?? "latest";
  const variant = str(istiodValues.variant) ?? str(global.variant);
  return {
    istiod: imageRef(hub, str(istiodValues.image) ?? "pilot", tag, variant),
    proxy: imageRef(
      str(global.hub) ?? ISTIO_DEFAULT_HUB,
      str(obj(global.proxy).image) ?? "proxyv2",
      str(global.tag) ?? "latest",
      str(global.variant),
    ),
  };
}

export interface ClusterSupply {
  readonly charts: readonly { readonly name: string; readonly version: string; readonly source: string; readonly ref: string }[];
  readonly images: readonly { readonly ref: string; readonly usedBy: string }[];
}

/** Every chart and image one cluster pulls, from the releases the program installs (each revision's, during an upgrade). */
export function clusterSupply(releases: readonly ReleaseSpec[]): ClusterSupply {
  const charts = new Map<string, ClusterSupply["charts"][number]>();
  for (const r of releases) {
    const args = releaseChartArgs(r, "tgz");
    const ref = args.repositoryOpts ? `${args.repositoryOpts.repo} ${args.chart}` : args.chart;
    // two istiod revisions of one version pull the chart once
    charts.set(`${r.chart} ${r.version}`, { name: r.chart, version: r.version, source: r.repo, ref });
  }
  const images = new Map<string, ClusterSupply["images"][number]>();
  for (const istiod of releases.filter((r) => r.chart === "istiod")) {
    const i = meshImages(istiod.values);
    if (!images.has(i.istiod)) images.set(i.istiod, { ref: i.istiod, usedBy: "istiod" });
    if (!images.has(i.proxy)) images.set(i.proxy, { ref: i.proxy, usedBy: "proxies (sidecars, east-west gateway)" });
  }
  return { charts: [...charts.values()], images: [...images.values()] };
}

/**
 * Hosts commonly blocked or throttled from mainland China: Google's (the official chart repository
 * is on storage.googleapis.com, gcr.io), Docker Hub (Istio's default hub), GitHub's and Quay's
 * registries, and registry.k8s.io.
 */
const UNREACHABLE_IN_CHINA = [
  /(^|\.)googleapis\.com$/,
  /(^|\.)gcr\.io$/,
  /(^|\.)docker\.io$/,
  /(^|\.)ghcr\.io$/,
  /(^|\.)quay\.io$/,
  /^registry\.k8s\.io$/,
];

export const unreachableInMainlandChina = (host: string): boolean => UNREACHABLE_IN_CHINA.some((r) => r.test(host.replace(/:\d+$/, "")));

/** Alibaba Cloud regions and locality regions in mainland China (`cn-…`, not Hong Kong). */
export const isMainlandChinaRegion = (region: string | undefined): boolean =>
  region !== undefined && /^cn-/.test(region) && region !== "cn-hongkong";
