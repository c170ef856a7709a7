/**
 * The root certificate of the demo's simulated clusters (their istio-ca-root-cert): a public certificate
 * only, its key is nowhere in the product. Kept as text here, not as a .pem file, so that it ships
 * wherever the code does (a container build leaves *.pem files out).
 */
export const DEMO_ROOT_PEM = `-----BEGIN CERTIFICATE-----
MIIDUzCCAjugAwIBAgIUNWLGCKBF49AvsOwi/USm2xdDN/gwDQYJKoZIhvcNAQEL
BQAwMDESMBAGA1UECgwJbWVzaC10ZXN0MRowGAYDVQQDDBFtZXNoLXRlc3Qgcm9v
dCBDQTAgFw0yNjExMjcxNjA3MTFaGA8yMTI2MTEwMzE2MDcxMVowMDESMBAGA1UE
CgwJbWVzaC10ZXN0MRowGAYDVQQDDBFtZXNoLXRlc3Qgcm9vdCBDQTCCASIwDQYJ
KoZIhvcNAQEBBQADggEPADCCAQoCggEBAJgV+s/0PMYhOmKbZ53UFkk0reVmRrES
LoDtnmdqHpuUMWqvtzI09brj+zp/BAYOPyCj22az2oB+UUuDQP3LO3BGvaSgwCRe
wdLtwHgqI/PuZFq37h3cUU6Pje6M9dmUh6WFgi60TMLMHyeHb+mX/1KlQ3EkoV6a
1nUr+ib7kC/cQHfuc1D2+8jemSRTP6MwZ4AvhdRAVRnWOEAuzvniT2lkaawyeimi
CYStIaMMQ5G9JsXeMnT10l82oQIX7PVl9EquM0WEtP2C1nT+QADobKJnPZR9aDk2
hHokAEZZHcjQf/3aOcXvphMUINcVr/031ybdAJQHuCXq1QzqR90qdpcCAwEAAaNj
MGEwHQYDVR0OBBYEFFJorPSEHtTrgA66zdgqr2Dic1JxMB8GA1UdIwQYMBaAFFJo
rPSEHtTrgA66zdgqr2Dic1JxMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQD
AgEGMA0GCSqGSIb3DQEBCwUAA4IBAQA/rCMMYlqIHNr2aPor/VfozjgeKezej8xN
YC5H3Tts37Ci350dVnq+KwsMgYd8F5SBcAAeWxkPA0H85JpuXvPU8SvJwnpChsp3
0CqxyeNRCjV2NeF3xy4jBIiRzkrLughwF2aYZTUX5kU0r8qNOyXmQdNdEaI9IHT5
JnnZjzta5WB1ZcyT+rO/RQNPCGmD09aVRY6EjZmjZ+VVaSU3AbTfa9VeXPuURZQl
opB6p/t6Sf9iHZ2ghuAS1slzV1hWECVQtpYoQgXOU7MA1K/p4xwkz/nQdllQ9/qn
Qtpi0P5EjUjJ0Ydsf3WxNYXX0JEHjqGwnfe7zSKS9bAvfV0AGWol
-----END CERTIFICATE-----
`;
