/**
 * The sandbox's PKI, made with the openssl CLI: one CA, EC P-256 leaf
 * certificates for loopback servers (and clients), and RSA key pairs for
 * ServiceAccount token signing. Every file is written with mode 0600.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface IssueOptions {
  /** openssl subjectAltName entries, e.g. 'IP:127.0.0.1', 'DNS:localhost'. */
  sans: string[];
  clientAuth?: boolean;
  cn?: string;
  org?: string;
}

export interface Issued {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

export interface Ca {
  caCert: string;
  caKey: string;
  caFile: string;
  issue(name: string, opts: IssueOptions): Promise<Issued>;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { maxBuffer: 1 << 20, timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0] ?? ''} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Subject components must not contain '/' or '=' unescaped in openssl's -subj syntax. */
function subj(cn: string, org?: string): string {
  const esc = (s: string) => s.replace(/[\\/=+,]/g, (c) => `\\${c}`);
  return (org ? `/O=${esc(org)}` : '') + `/CN=${esc(cn)}`;
}

/**
 * openssl's fopen() keeps the mode of an existing file, so creating it empty
 * with 0600 first means a private key is never readable by others, not even briefly.
 */
async function precreate(...files: string[]): Promise<void> {
  await Promise.all(files.map((f) => writeFile(f, '', { mode: 0o600 }).then(() => chmod(f, 0o600))));
}

async function secure(...files: string[]): Promise<void> {
  await Promise.all(files.map((f) => chmod(f, 0o600)));
}

async function ecKey(file: string): Promise<void> {
  await precreate(file);
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  await secure(file);
}

export async function createCa(dir: string): Promise<Ca> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caKeyFile = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  await ecKey(caKeyFile);
  await precreate(caFile);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKeyFile,
    '-out',
    caFile,
    '-days',
    '3650',
    '-sha256',
    '-subj',
    subj('helper sandbox CA', 'helper-sandbox'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-addext',
    'subjectKeyIdentifier=hash',
  ]);
  await secure(caFile);
  const caCert = await readFile(caFile, 'utf8');
  const caKey = await readFile(caKeyFile, 'utf8');
  let serial = 0;

  const issue = async (name: string, opts: IssueOptions): Promise<Issued> => {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`invalid certificate name ${JSON.stringify(name)}`);
    const keyFile = join(dir, `${name}.key`);
    const certFile = join(dir, `${name}.crt`);
    const csrFile = join(dir, `${name}.csr`);
    const extFile = join(dir, `${name}.ext`);
    await ecKey(keyFile);
    await precreate(csrFile, certFile);
    await openssl(['req', '-new', '-key', keyFile, '-out', csrFile, '-subj', subj(opts.cn ?? name, opts.org)]);
    const ext = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${opts.clientAuth ? 'serverAuth,clientAuth' : 'serverAuth'}`,
      'authorityKeyIdentifier=keyid',
      ...(opts.sans.length > 0 ? [`subjectAltName=${opts.sans.join(',')}`] : []),
      '',
    ].join('\n');
    await writeFile(extFile, ext, { mode: 0o600 });
    serial += 1;
    // Serials must differ per issued cert; time-based base avoids clashes across CAs in one dir.
    const serialHex = (BigInt(Date.now()) * 1000n + BigInt(serial)).toString(16);
    await openssl([
      'x509',
      '-req',
      '-in',
      csrFile,
      '-CA',
      caFile,
      '-CAkey',
      caKeyFile,
      '-set_serial',
      `0x${serialHex}`,
      '-out',
      certFile,
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      extFile,
    ]);
    await secure(certFile, csrFile);
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8'), certFile, keyFile };
  };

  return { caCert, caKey, caFile, issue };
}

export interface RsaKeyPair {
  privateKeyFile: string;
  publicKeyFile: string;
  privateKey: string;
  publicKey: string;
}

/** An RSA key pair as PEM files (for kube-apiserver/controller-manager ServiceAccount token signing). */
export async function createRsaKeyPair(dir: string, name: string): Promise<RsaKeyPair> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKeyFile = join(dir, `${name}.key`);
  const publicKeyFile = join(dir, `${name}.pub`);
  await precreate(privateKeyFile, publicKeyFile);
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', privateKeyFile]);
  await secure(privateKeyFile);
  await openssl(['pkey', '-in', privateKeyFile, '-pubout', '-out', publicKeyFile]);
  await secure(publicKeyFile);
  return {
    privateKeyFile,
    publicKeyFile,
    privateKey: await readFile(privateKeyFile, 'utf8'),
    publicKey: await readFile(publicKeyFile, 'utf8'),
  };
}
