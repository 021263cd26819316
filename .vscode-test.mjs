// @vscode/test-cli configuration for `npm run test:electron` (desktop VS Code, downloaded by
// @vscode/test-electron into .vscode-test/). test/electron/build.mjs prepares the bundles.
import { defineConfig } from '@vscode/test-cli';
import * as path from 'node:path';

const out = path.resolve('.cache', 'electron-tests');

export default defineConfig({
  label: 'desktop',
  files: `${out}/**/*.test.js`,
  version: process.env.VSCODE_TEST_VERSION ?? 'stable',
  workspaceFolder: path.join(out, 'workspace'),
  extensionDevelopmentPath: path.resolve('.'),
  // Other extensions off; the workspace is trusted so the extension runs fully.
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  env: { MOBILECLIP_ASSETS_CACHE: path.join(out, 'model-cache') },
  mocha: { ui: 'tdd', timeout: 60_000 },
});
