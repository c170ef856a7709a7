/**
 * Rules for mesh:revisions: every tag, namespace and the gateway name an installed revision; something
 * serves the default selectors (the `default` revision or a `default` tag); the revisions sit at most two
 * minors apart; `mesh:istio.version` (istio-base: the CRDs every revision reads) is the newest of them; the
 * one-revision keys of mesh:istio are not mixed in.
 */
import { configPath } from "../errors";
import { DEFAULT_REVISION, type RevisionsInput } from "../revisions-schema";
import { NS, type Add } from "./shared";

const minor = (v: string) => Number(v.split(".")[1]);
const major = (v: string) => Number(v.split(".")[0]);
const newest = (vs: readonly string[]) => [...vs].sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0]!;
const newestName = (installed: Readonly<Record<string, string>>) =>
  Object.entries(installed).sort(([, a], [, b]) => b.localeCompare(a, undefined, { numeric: true }))[0]?.[0] ?? "<revision>";
const at = (...p: (string | number)[]) => configPath(NS, ["revisions", ...p]);

export function checkRevisions(
  r: RevisionsInput,
  istio: { readonly version?: string; readonly revision?: unknown; readonly tag?: unknown },
  catalogNamespaces: readonly string[],
  add: Add,
): void {
  const installed = Object.keys(r.installed);
  const list = `installed: ${installed.join(", ")}`;
  if (istio.revision !== undefined)
    add(
      configPath(NS, ["istio", "revision"]),
      "set together with mesh:revisions",
      "remove it: mesh:revisions.installed names the revisions",
    );
  if (istio.tag !== undefined)
    add(
      configPath(NS, ["istio", "tag"]),
      "set together with mesh:revisions",
      "remove it: each revision's images are tagged with its version",
    );
  for (const [tag, rev] of Object.entries(r.tags)) {
    if (!installed.includes(rev))
      add(
        at("tags", tag),
        `points at revision ${rev}, which is not installed (${list}): namespaces labelled istio.io/rev=${tag} would get no sidecar`,
        `point it at an installed revision, or keep ${rev} installed until nothing uses it`,
      );
    if (installed.includes(tag) && tag !== DEFAULT_REVISION)
      add(at("tags", tag), "a tag with the name of an installed revision: both webhooks would inject the same pods", "rename the tag");
  }
  if (r.tags[DEFAULT_REVISION] !== undefined && installed.includes(DEFAULT_REVISION))
    add(
      at("tags", DEFAULT_REVISION),
      "the default tag beside the default (unrevisioned) istiod: both inject istio.io/rev=default",
      "remove the default tag while the default revision is installed",
    );
  // the unrevisioned istiod's injector, or a default tag, is what injects istio-injection=enabled namespaces and
  // sidecar.istio.io/inject=true pods (istio-discovery templates/mutatingwebhook.yaml, revision-tags-mwc.yaml)
  if (!installed.includes(DEFAULT_REVISION) && r.tags[DEFAULT_REVISION] === undefined)
    add(
      at("tags"),
      "no default revision and no default tag: namespaces labelled istio-injection=enabled and pods labelled sidecar.istio.io/inject=true would get no sidecar",
      `add ${DEFAULT_REVISION}: <revision> (e.g. ${DEFAULT_REVISION}: ${newestName(r.installed)}), as istioctl tag set default does`,
    );
  const known = (ref: string) => installed.includes(ref) || r.tags[ref] !== undefined;
  for (const ns of catalogNamespaces) {
    const ref = r.namespaces[ns];
    if (ref === undefined)
      add(at("namespaces", ns), "a catalog namespace without its tag", `add ${ns}: <tag> (e.g. prod-stable), so its injection is explicit`);
    else if (!known(ref))
      add(at("namespaces", ns), `names ${ref}, neither a tag nor an installed revision (${list})`, "name a tag of mesh:revisions.tags");
  }
  for (const ns of Object.keys(r.namespaces))
    if (!catalogNamespaces.includes(ns))
      add(at("namespaces", ns), "not a namespace of mesh:services", `remove it, or add a service in ${ns}`);
  if (!known(r.gateway))
    add(
      at("gateway"),
      `names ${r.gateway}, neither a tag nor an installed revision (${list})`,
      "name the tag or revision the gateway follows",
    );
  if (!installed.includes(r.defaultRevision))
    add(
      at("defaultRevision"),
      `revision ${r.defaultRevision} is not installed (${list}): nothing would validate Istio resources`,
      "name an installed revision",
    );

  const versions = Object.values(r.installed);
  if (installed.length > 2)
    add(
      at("installed"),
      `${installed.length} revisions: an upgrade runs at most two side by side`,
      "remove the old revision before adding another",
    );
  const minors = versions.map(minor);
  // each proxy talks to the istiod of its own revision; Istio supports a revision-based upgrade across at most
  // two minors (istio.io docs/setup/upgrade/canary)
  if (new Set(versions.map(major)).size > 1 || Math.max(...minors) - Math.min(...minors) > 2)
    add(
      at("installed"),
      `revisions ${versions.join(", ")} are more than two minors apart: Istio supports a canary upgrade across at most two minors`,
      "upgrade in steps of at most two minors (mesh upgrade --to)",
    );
  if (istio.version !== undefined && versions.length > 0 && istio.version !== newest(versions))
    add(
      configPath(NS, ["istio", "version"]),
      `${istio.version}, but the newest revision is ${newest(versions)}: istio-base (the CRDs) must be at the newest installed revision`,
      `set it to "${newest(versions)}"`,
    );
}
