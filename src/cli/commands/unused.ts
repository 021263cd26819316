// `mobileclip-assets unused DIR`: images that no text file in DIR references. Needs no model and
// no index: it lists the images as the index would and streams through the text files.
import * as path from 'node:path';
import { listImages, scanReferences } from '../../engine/references/scan';
import { formatBytes } from '../../engine/util/format';
import { defineCommand } from '../command';
import { folderArg } from './indexing';
import { TEXT_SCAN_OPTIONS, TEXT_SCAN_USAGE, plural, printLines, textScanFrom } from './hygiene';

const USAGE = `Usage: mobileclip-assets unused DIR [options]

Lists DIR's images that no text file in DIR references: not by a path relative to the file, a
path from DIR, a path through an alias or web root (@/assets/x.png, /img/x.png), nor by file name
in imports, CSS url(), HTML/JSX src, Markdown links and images, JSON or YAML strings.
A name that only resembles one (mylogo.png, logo.png.bak) does not count.

Options:
  --json                print [{"path","bytes"}] of the unused images, sorted by path
  --fail-on-unused      exit with code 1 when any image is unused (for CI)
  --include GLOB        images to check, relative to DIR (repeatable; default: png, jpg, jpeg,
                        gif, webp, avif, tiff, tif, svg in any letter case)
  --exclude GLOB        files or folders to leave out, images and text alike (repeatable;
                        default: node_modules, .git, .mobileclip)
  --no-gitignore        also read files that .gitignore files exclude
  -h, --help            show help

${TEXT_SCAN_USAGE}`;

export const unusedCommand = defineCommand({
  name: 'unused',
  summary: 'list images that no text file references',
  usage: USAGE,
  options: {
    json: { type: 'boolean' },
    'fail-on-unused': { type: 'boolean' },
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    'no-gitignore': { type: 'boolean' },
    ...TEXT_SCAN_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  },
  positionals: { min: 1, max: 1, missing: 'which folder? give DIR', tooMany: 'give exactly one folder' },
  async run(values, positionals) {
    const folder = await folderArg(positionals[0], 'folder');
    const text = textScanFrom(values);
    const respectGitignore = !values['no-gitignore'];
    const images = await listImages(folder, { include: values.include, exclude: values.exclude, respectGitignore });
    const scan = await scanReferences(
      folder,
      images.map((i) => i.path),
      { ...text, exclude: values.exclude, respectGitignore },
    );
    const unused = new Set(scan.index.unused());
    const rows = images.filter((i) => unused.has(i.path)).map((i) => ({ path: i.path, bytes: i.size }));
    const unreadable = scan.skipped.filter((s) => s.reason !== 'binary file');
    if (unreadable.length) {
      printLines(process.stderr, [
        `${plural(unreadable.length, 'text file')} not searched (references in them are not counted):`,
        ...unreadable.slice(0, 10).map((s) => `  ${s.path}: ${s.reason}`),
        ...(unreadable.length > 10 ? [`  … and ${unreadable.length - 10} more`] : []),
      ]);
    }
    if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    else if (!images.length) printLines(process.stdout, `No images in ${folder}.`);
    else if (!rows.length) printLines(process.stdout, `All ${plural(images.length, 'image')} are referenced (searched ${plural(scan.filesRead, 'text file')}).`);
    else {
      const total = rows.reduce((s, r) => s + r.bytes, 0);
      printLines(process.stdout, [
        `${rows.length} of ${plural(images.length, 'image')} in ${path.basename(folder) || folder} are not referenced by any of ${plural(scan.filesRead, 'text file')} (${formatBytes(total)}):`,
        ...rows.map((r) => `${formatBytes(r.bytes).padStart(8)}  ${r.path}`),
      ]);
    }
    return values['fail-on-unused'] && rows.length ? 1 : 0;
  },
});
