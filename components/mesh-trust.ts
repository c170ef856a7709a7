import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CA_KEY, cacertsData, intermediateCertInputs, intermediateSubject, rootCertInputs, type CaMaterial } from "../model/trust";

/** Where this cluster's CA comes from. */
export type TrustSource =
  /** This stack makes and owns the mesh root. */
  | { readonly kind: "anchor" }
  /** The root (and its key, to sign with) from the anchor stack or the team's PKI. */
  | { readonly kind: "root"; readonly certPem: pulumi.Input<string>; readonly keyPem: pulumi.Input<string> }
  /** A ready intermediate from the team's PKI. */
  | { readonly kind: "intermediate"; readonly material: pulumi.Input<CaMaterial> };

export interface MeshTrustArgs {
  readonly meshId: string;
  readonly clusterName: string;
  readonly source: TrustSource;
  /** @default 87600 (10 years) */
  readonly rootValidityHours: number;
  /** @default 17520 (2 years); re-issued a month before expiry */
  readonly intermediateValidityHours: number;
}

/** The mesh root (anchor only) and this cluster's intermediate CA, as the files of `cacerts`. */
export class MeshTrust extends pulumi.ComponentResource {
  /** Root certificate, public. */
  readonly trustRoot: pulumi.Output<string>;
  /** Root key, secret; only on the anchor, for the other stacks to issue their intermediates. */
  trustRootKey?: pulumi.Output<string>;
  /** The four files of `cacerts`, secret. */
  readonly cacerts: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: MeshTrustArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mesh:trust:MeshTrust", name, {}, opts);
    const { source } = args;
    let material: pulumi.Output<CaMaterial>;
    if (source.kind === "intermediate") {
      material = pulumi.output(source.material);
    } else {
      const root = source.kind === "anchor" ? this.makeRoot(name, args) : source;
      material = this.issueIntermediate(name, args, root);
    }
    this.trustRoot = pulumi.unsecret(material.rootCert);
    this.cacerts = pulumi.secret(material.apply((m): Record<string, string> => cacertsData(m)));
    this.registerOutputs({ trustRoot: this.trustRoot, trustRootKey: this.trustRootKey, cacerts: this.cacerts });
  }

  private makeRoot(name: string, args: MeshTrustArgs): { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> } {
    const key = new tls.PrivateKey(`${name}-root-key`, { ...CA_KEY }, { parent: this });
    const cert = new tls.SelfSignedCert(
      `${name}-root`,
      { privateKeyPem: key.privateKeyPem, ...rootCertInputs(args.meshId, args.rootValidityHours) },
      { parent: this },
    );
    this.trustRootKey = pulumi.secret(key.privateKeyPem);
    return { certPem: cert.certPem, keyPem: key.privateKeyPem };
  }

  private issueIntermediate(
    name: string,
    args: MeshTrustArgs,
    root: { readonly certPem: pulumi.Input<string>; readonly keyPem: pulumi.Input<string> },
  ): pulumi.Output<CaMaterial> {
    const key = new tls.PrivateKey(`${name}-intermediate-key`, { ...CA_KEY }, { parent: this });
    const csr = new tls.CertRequest(
      `${name}-intermediate-csr`,
      { privateKeyPem: key.privateKeyPem, subject: intermediateSubject(args.meshId, args.clusterName) },
      { parent: this },
    );
    const cert = new tls.LocallySignedCert(
      `${name}-intermediate`,
      {
        certRequestPem: csr.certRequestPem,
        caCertPem: root.certPem,
        caPrivateKeyPem: pulumi.secret(root.keyPem),
        ...intermediateCertInputs(args.intermediateValidityHours),
      },
      { parent: this },
    );
    return pulumi
      .all([cert.certPem, key.privateKeyPem, root.certPem])
      .apply(([intermediateCert, intermediateKey, rootCert]) => ({ intermediateCert, intermediateKey, rootCert }));
  }
}
