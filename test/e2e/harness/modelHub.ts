// A stand-in for the Hugging Face hub on 127.0.0.1 for the first-run download scenario. It serves
// the semantic fixture model's files under the file names and repo/revision of a registry model
// (models/<id>.json), and writes a manifest for that id (sizes and sha256 of the served bytes) into
// a folder the extension reads through $MOBILECLIP_ASSETS_MODELS_DIR, which takes precedence over
// the bundled manifest with the same id. Bodies are sent in small timed pieces so that the
// download progress is visible.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../fixtures/paths';

export interface FixtureHub {
  host: string;
  /** Paths requested (GET and HEAD), in order. */
  requests: string[];
  close(): Promise<void>;
}

interface RegistryFile {
  path: string;
  size?: number;
  sha256?: string;
}
interface RegistryManifest {
  id: string;
  hub: { repo: string; revision: string };
  defaults: { vision: string; text: string };
  files: Record<string, RegistryFile | Record<string, RegistryFile>>;
  [key: string]: unknown;
}

/**
 * Maps the registry model's default files to the fixture folder's files, writes the manifest into
 * `manifestDir`, and returns registry path -> fixture file bytes.
 */
export async function fixtureAsRegistryModel(modelId: string, fixtureDir: string, manifestDir: string): Promise<Map<string, Buffer>> {
  const registry = JSON.parse(await fs.readFile(path.join(PROJECT_ROOT, 'models', `${modelId}.json`), 'utf8')) as RegistryManifest;
  const single = (key: string) => registry.files[key] as RegistryFile | undefined;
  const vision = (registry.files.vision as Record<string, RegistryFile>)[registry.defaults.vision]!;
  const text = (registry.files.text as Record<string, RegistryFile>)[registry.defaults.text]!;
  const sources: [string, RegistryFile | undefined, string][] = [
    ['config', single('config'), 'config.json'],
    ['preprocessorConfig', single('preprocessorConfig'), 'preprocessor_config.json'],
    ['tokenizer', single('tokenizer'), 'tokenizer.json'],
    ['tokenizerConfig', single('tokenizerConfig'), 'tokenizer_config.json'],
  ];
  const served = new Map<string, Buffer>();
  const entry = async (registryPath: string, fixtureFile: string) => {
    const bytes = await fs.readFile(path.join(fixtureDir, fixtureFile));
    served.set(registryPath, bytes);
    return { path: registryPath, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  };
  const files: Record<string, unknown> = {};
  for (const [key, file, fixtureFile] of sources) if (file) files[key] = await entry(file.path, fixtureFile);
  files.vision = { [registry.defaults.vision]: await entry(vision.path, 'onnx/vision_model.onnx') };
  files.text = { [registry.defaults.text]: await entry(text.path, 'onnx/text_model.onnx') };
  const config = JSON.parse(await fs.readFile(path.join(fixtureDir, 'config.json'), 'utf8')) as { projection_dim: number; vision_config: { image_size: number } };
  const manifest = {
    ...registry,
    description: `End-to-end test stand-in: the semantic fixture model served as ${modelId}.`,
    imageSize: config.vision_config.image_size,
    embeddingDim: config.projection_dim,
    files,
  };
  await fs.mkdir(manifestDir, { recursive: true });
  await fs.writeFile(path.join(manifestDir, `${modelId}.json`), JSON.stringify(manifest, null, 2));
  return served;
}

export async function startFixtureHub(repo: string, revision: string, files: Map<string, Buffer>, opts: { chunkBytes?: number; chunkDelayMs?: number } = {}): Promise<FixtureHub> {
  const { chunkBytes = 32 * 1024, chunkDelayMs = 30 } = opts;
  const requests: string[] = [];
  const prefix = `/${repo}/resolve/${revision}/`;
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]!);
    requests.push(`${req.method} ${url}`);
    const body = url.startsWith(prefix) ? files.get(url.slice(prefix.length)) : undefined;
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let at = 0;
    const timer = setInterval(() => {
      if (at >= body.length) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write(body.subarray(at, at + chunkBytes));
      at += chunkBytes;
    }, chunkDelayMs);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
