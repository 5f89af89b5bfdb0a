// A throwaway PKI made at test time for the mutual TLS tests: a CA, a server certificate for
// 127.0.0.1 and localhost, client certificates (mapped, unmapped, expired, not yet valid) and a
// second CA whose client certificate copies a mapped subject DN. Keys are RSA 2048 from
// node:crypto (fast, native); node-forge only assembles and signs the X.509 structures (RFC 5280).
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import forge from 'node-forge';

export interface Issued {
  /** PEM certificate */
  cert: string;
  /** PEM private key (PKCS#8) */
  key: string;
  /** `sha256:` + lower-case hex, the form Palisade compares */
  fingerprint: string;
  /** the same digest as OpenSSL prints it: upper-case hex pairs joined by colons */
  fingerprintColons: string;
}

interface Signer {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

const DAY = 86_400_000;

type Name = [string, string][];

interface IssueOptions {
  subject: Name;
  /** undefined: self-signed */
  issuer?: Signer;
  ca?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** serverAuth with these names, else clientAuth */
  server?: { dns: string[]; ips: string[] };
}

function issue(o: IssueOptions): Issued & { signer: Signer } {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKey = forge.pki.publicKeyFromPem(pair.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const privateKey = forge.pki.privateKeyFromPem(pair.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string);
  const c = forge.pki.createCertificate();
  c.publicKey = publicKey;
  // A positive serial (RFC 5280 §4.1.2.2): a leading 01 byte keeps the sign bit clear.
  c.serialNumber = `01${randomBytes(15).toString('hex')}`;
  c.validity.notBefore = o.notBefore ?? new Date(Date.now() - DAY);
  c.validity.notAfter = o.notAfter ?? new Date(Date.now() + 30 * DAY);
  const attrs = o.subject.map(([shortName, value]) => ({ shortName, value }));
  c.setSubject(attrs);
  c.setIssuer(o.issuer ? o.issuer.cert.subject.attributes : attrs);
  const extensions: object[] = [{ name: 'subjectKeyIdentifier' }];
  if (o.issuer) {
    extensions.push({
      name: 'authorityKeyIdentifier',
      keyIdentifier: o.issuer.cert.generateSubjectKeyIdentifier().getBytes(),
    });
  }
  if (o.ca) {
    extensions.push(
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    );
  } else {
    extensions.push(
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      o.server ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
    );
    if (o.server) {
      extensions.push({
        name: 'subjectAltName',
        altNames: [
          ...o.server.dns.map((value) => ({ type: 2, value })),
          ...o.server.ips.map((ip) => ({ type: 7, ip })),
        ],
      });
    }
  }
  c.setExtensions(extensions);
  c.sign(o.issuer?.key ?? privateKey, forge.md.sha256.create());
  const cert = forge.pki.certificateToPem(c);
  const x509 = new X509Certificate(cert);
  return {
    cert,
    key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    fingerprint: `sha256:${x509.fingerprint256.replace(/:/g, '').toLowerCase()}`,
    fingerprintColons: x509.fingerprint256,
    signer: { cert: c, key: privateKey },
  };
}

export interface Pki {
  ca: Issued;
  /** a CA the server does not trust */
  otherCa: Issued;
  /** CN=localhost with SANs localhost and 127.0.0.1, issued by `ca` */
  server: Issued;
  /** O=ACN, CN=sync-fp: to be mapped by fingerprint */
  byFingerprint: Issued;
  /** O=ACN, CN=sync: to be mapped by the DN `CN=sync,O=ACN` */
  byDn: Issued;
  /** O=Elsewhere, CN=stranger: valid, mapped to nobody */
  unmapped: Issued;
  /** O=ACN, CN=expired: expired yesterday; to be mapped by fingerprint and DN */
  expired: Issued;
  /** O=ACN, CN=early: valid from tomorrow; to be mapped by fingerprint and DN */
  notYetValid: Issued;
  /** O=ACN, CN=sync (the DN of `byDn`) issued by `otherCa` */
  foreign: Issued;
}

export function makePki(): Pki {
  const strip = ({ signer: _signer, ...issued }: Issued & { signer: Signer }): Issued => issued;
  const ca = issue({
    subject: [
      ['O', 'Palisade tests'],
      ['CN', 'Palisade Test CA'],
    ],
    ca: true,
  });
  const otherCa = issue({
    subject: [
      ['O', 'Elsewhere'],
      ['CN', 'Other CA'],
    ],
    ca: true,
  });
  const client = (subject: Name, extra: Partial<IssueOptions> = {}, issuer = ca.signer): Issued =>
    strip(issue({ subject, issuer, ...extra }));
  return {
    ca: strip(ca),
    otherCa: strip(otherCa),
    server: client([['CN', 'localhost']], { server: { dns: ['localhost'], ips: ['127.0.0.1'] } }),
    byFingerprint: client([
      ['O', 'ACN'],
      ['CN', 'sync-fp'],
    ]),
    byDn: client([
      ['O', 'ACN'],
      ['CN', 'sync'],
    ]),
    unmapped: client([
      ['O', 'Elsewhere'],
      ['CN', 'stranger'],
    ]),
    expired: client(
      [
        ['O', 'ACN'],
        ['CN', 'expired'],
      ],
      { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) },
    ),
    notYetValid: client(
      [
        ['O', 'ACN'],
        ['CN', 'early'],
      ],
      { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 10 * DAY) },
    ),
    foreign: client(
      [
        ['O', 'ACN'],
        ['CN', 'sync'],
      ],
      {},
      otherCa.signer,
    ),
  };
}

export interface TlsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** the negotiated TLS version, e.g. TLSv1.3 */
  protocol: string | null;
}

/**
 * One HTTPS request on a fresh connection (no agent, so no TLS session is resumed with another
 * certificate), trusting only `ca` for the server and presenting `client`, if given.
 */
export function httpsGet(
  url: string,
  opts: { ca: string; client?: Issued; headers?: Record<string, string>; tls?: RequestOptions },
): Promise<TlsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        agent: false,
        ca: opts.ca,
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
        headers: opts.headers ?? {},
        ...opts.tls,
      },
      (res) => {
        const protocol = (res.socket as TLSSocket).getProtocol();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            protocol,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
