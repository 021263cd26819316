// Desktop VS Code (Electron) checks at the extension API level, run by @vscode/test-cli with
// mocha inside the extension host: `npm run test:electron` (downloads VS Code; not part of
// `npm test`). Activation, registered commands, settings defaults as declared in package.json,
// and no native inference module loaded into the extension host by activation.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

// mocha's TDD interface, provided as globals by the test runner inside VS Code.
const { suite, test } = globalThis as unknown as {
  suite: (name: string, body: () => void) => void;
  test: (name: string, body: () => Promise<void> | void) => void;
};

const EXTENSION_ID = 'mobileclip-assets.mobileclip-assets';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, { default?: unknown }> };
    views: Record<string, { id: string }[]>;
  };
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in the test instance`);
  return ext;
}

suite('MobileCLIP Assets in desktop VS Code', () => {
  test('activates without error', async () => {
    const ext = extension();
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('registers every contributed command', async () => {
    await extension().activate();
    const manifest = extension().packageJSON as Manifest;
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, []);
  });

  test('settings read back with the defaults package.json declares', () => {
    const manifest = extension().packageJSON as Manifest;
    const config = vscode.workspace.getConfiguration();
    for (const [key, schema] of Object.entries(manifest.contributes.configuration.properties)) {
      assert.deepEqual(config.inspect(key)?.defaultValue, schema.default, `default of ${key}`);
    }
    assert.equal(vscode.workspace.getConfiguration('mobileclipAssets').get('model'), 'mobileclip-s0');
  });

  test('activation loads no onnxruntime, sharp or Transformers.js into the extension host', async () => {
    await extension().activate();
    // Give the start-up work scheduled by activate() a moment to run.
    await new Promise((r) => setTimeout(r, 1000));
    const loaded = Object.keys(require.cache).filter((f) => /[\\/]node_modules[\\/](onnxruntime-node|onnxruntime-web|sharp|@img|@huggingface[\\/]transformers)[\\/]/.test(f));
    assert.deepEqual(loaded, []);
  });

  test('the gallery view can be opened', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.mobileclipAssets');
    await vscode.commands.executeCommand('mobileclipAssets.gallery.focus');
  });
});
