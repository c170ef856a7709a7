/**
 * The topology as DOM nodes (React Flow), not a canvas picture: the mesh root, one node per cluster and
 * per catalog service in it, the trust edges from the root and the remote-secret links between clusters.
 * Every node and edge takes focus (Tab) and has an accessible name that says what a sighted user reads
 * from its colour; the graph's own keyboard help is translated, and nothing can be moved or deleted.
 */
import { useMemo } from "react";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import { Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { ClusterFacts, Health, LinkFacts } from "../../lib/topology";

interface Props {
  readonly clusters: readonly ClusterFacts[];
  readonly links: readonly LinkFacts[];
  readonly anchor: string | null;
  readonly fingerprint: string | undefined;
}

type CardData = { title: string; lines: string[]; health: Health; kind: "root" | "cluster" | "service" };

function Card({ data }: NodeProps<Node<CardData>>) {
  return (
    <div className={`node ${data.kind} health-${data.health}`}>
      <Handle type="target" position={Position.Top} id="top" isConnectable={false} />
      <Handle type="source" position={Position.Right} id="r" isConnectable={false} style={{ top: "35%" }} />
      <Handle type="target" position={Position.Left} id="l" isConnectable={false} style={{ top: "35%" }} />
      <Handle type="source" position={Position.Left} id="l2" isConnectable={false} style={{ top: "70%" }} />
      <Handle type="target" position={Position.Right} id="r2" isConnectable={false} style={{ top: "70%" }} />
      <Handle type="source" position={Position.Bottom} id="bottom" isConnectable={false} />
      <strong>{data.title}</strong>
      {data.lines.map((l, i) => (
        <span key={i} className="line">
          {l}
        </span>
      ))}
    </div>
  );
}
const nodeTypes = { card: Card };

const COL = 400;

/** The nodes and edges, with their accessible names in the viewer's language. */
function graphOf({ clusters, links, anchor, fingerprint }: Props, t: TFunction): { nodes: Node<CardData>[]; edges: Edge[] } {
  const nodes: Node<CardData>[] = [];
  const edges: Edge[] = [];
  const width = Math.max(1, clusters.length) * COL;
  const health = (h: Health) => t(`health.${h}`);
  nodes.push({
    id: "root",
    type: "card",
    position: { x: width / 2 - 160, y: 0 },
    data: {
      kind: "root",
      health: "unknown",
      title: t("graph.root"),
      lines: [
        anchor ? t("graph.anchorIs", { stack: anchor }) : t("mesh.noAnchor"),
        fingerprint ? `SHA-256 ${fingerprint.slice(0, 23)}…` : t("mesh.noFingerprint"),
      ],
    },
    ariaLabel: t("graph.rootLabel", { anchor: anchor ?? "—", fingerprint: fingerprint ?? t("mesh.noFingerprint") }),
  });
  clusters.forEach(({ cluster: c, status, health: h, services }, i) => {
    const api = status?.outputsError ? t("graph.apiUnreadable") : status?.outputs ? t("graph.apiReadable") : t("graph.apiUnknown");
    const revisions = c.istio.revisions.map((r) => `${r.name}@${r.version}`).join(", ");
    const tags = c.istio.tags.map((x) => `${x.tag}→${x.revision}`).join(", ");
    const gw = `${c.gateway.type} ${c.gateway.endpoints.join(", ") || c.gateway.peersSendTo}`;
    nodes.push({
      id: `cluster:${c.name}`,
      type: "card",
      position: { x: i * COL, y: 170 },
      data: {
        kind: "cluster",
        health: h,
        title: c.name,
        lines: [c.network, gw, `istiod ${revisions}`, ...(tags ? [tags] : []), api, health(h)],
      },
      ariaLabel: t("graph.clusterLabel", {
        cluster: c.name,
        network: c.network,
        gateway: gw,
        revisions,
        tags: tags || "—",
        api,
        health: health(h),
      }),
    });
    edges.push({
      id: `trust:${c.name}`,
      source: "root",
      sourceHandle: "bottom",
      target: `cluster:${c.name}`,
      targetHandle: "top",
      className: "trust",
      label: t("graph.intermediate"),
      ariaLabel: t("graph.trustLabel", { cluster: c.name }),
    });
    services.forEach((s, j) => {
      const id = `svc:${c.name}:${s.host}`;
      nodes.push({
        id,
        type: "card",
        position: { x: i * COL + 40, y: 420 + j * 80 },
        data: { kind: "service", health: s.health, title: s.host, lines: [`:${s.ports.join(", :")} · ${health(s.health)}`] },
        ariaLabel: t("graph.serviceLabel", { host: s.host, ports: s.ports.join(", "), cluster: c.name, health: health(s.health) }),
      });
      edges.push({
        id: `serves:${id}`,
        source: `cluster:${c.name}`,
        sourceHandle: "bottom",
        target: id,
        targetHandle: "top",
        className: "serves",
        ariaLabel: t("graph.servesLabel", { cluster: c.name, host: s.host }),
      });
    });
  });
  const index = new Map(clusters.map((c, i) => [c.cluster.name, i]));
  for (const l of links) {
    const forward = (index.get(l.reader) ?? 0) < (index.get(l.reads) ?? 0);
    edges.push({
      id: `link:${l.id}`,
      source: `cluster:${l.reader}`,
      sourceHandle: forward ? "r" : "l2",
      target: `cluster:${l.reads}`,
      targetHandle: forward ? "l" : "r2",
      className: `link ${l.status}`,
      label: t(`links.${l.status}`),
      animated: l.status === "pending",
      ariaLabel: t("graph.linkLabel", { reader: l.reader, reads: l.reads, status: t(`links.${l.status}`) }),
    });
  }
  return { nodes, edges };
}

export function MeshGraph({ clusters, links, anchor, fingerprint }: Props) {
  const { t } = useTranslation();
  const { nodes, edges } = useMemo(() => graphOf({ clusters, links, anchor, fingerprint }, t), [clusters, links, anchor, fingerprint, t]);
  return (
    <div className="graph" role="region" aria-label={t("graph.label")}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        nodesFocusable
        edgesFocusable
        zoomOnScroll={false}
        preventScrolling={false}
        proOptions={{ hideAttribution: false }}
        deleteKeyCode={null}
        ariaLabelConfig={{
          "node.a11yDescription.default": t("graph.nodeHelp"),
          "node.a11yDescription.keyboardDisabled": t("graph.nodeHelp"),
          "edge.a11yDescription.default": t("graph.edgeHelp"),
          "handle.ariaLabel": t("graph.handle"),
        }}
        minZoom={0.3}
      />
    </div>
  );
}
