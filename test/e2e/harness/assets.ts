// MobileCLIP Assets specifics on top of the generic workbench driver: the status bar item, the
// gallery and results webviews, and the processes code-server runs for the extension.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Frame } from 'playwright-core';
import { groupMembers } from './codeServer';
import type { Session } from './session';
import { waitUntil, type Workbench } from './workbench';

export const CMD = {
  findImages: 'MobileCLIP Assets: Find Images by Description',
  findSimilar: 'Find Similar Images',
  generateCaptions: 'Generate Synthetic Captions',
} as const;

/** Text of our status bar item ("12 images", "Indexing 3/12", "Images: model needed"), or ''. */
export async function statusBarText(wb: Workbench): Promise<string> {
  const texts = await wb.page
    .locator('.part.statusbar .statusbar-item')
    .evaluateAll((items) => items.filter((i) => (i.id || '').includes('mobileclipAssets.status')).map((i) => (i.textContent ?? '').trim()));
  return texts[0] ?? '';
}

/** Waits until the status bar says `count` images are indexed (background indexing finished). */
export async function waitForIndexed(wb: Workbench, count: number, timeout = 120_000): Promise<void> {
  await waitUntil(
    () => statusBarText(wb),
    (t) => new RegExp(`^${count} images?\\b`).test(t),
    `the status bar to say "${count} images"`,
    timeout,
  );
}

export interface TileInfo {
  id: string;
  name: string;
  title: string;
  ariaLabel: string;
  thumbState: string;
}

export async function tiles(frame: Frame): Promise<TileInfo[]> {
  // In the order the user sees them: the virtualized grid recycles tile elements, so DOM order
  // need not be visual order.
  return frame.locator('.tile[data-id]').evaluateAll((els) =>
    els
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .sort((a, b) => a.box.top - b.box.top || a.box.left - b.box.left)
      .map(({ el }) => el)
      .map((el) => ({
        id: (el as HTMLElement).dataset.id ?? '',
        name: el.querySelector('.name')?.textContent ?? '',
        title: (el as HTMLElement).title,
        ariaLabel: el.getAttribute('aria-label') ?? '',
        thumbState: el.querySelector('.thumb')?.getAttribute('data-state') ?? '',
      })),
  );
}

/** Opens the Assets view container and returns the gallery webview's document frame. */
export async function openGallery(wb: Workbench): Promise<Frame> {
  await wb.openViewContainer('Assets');
  return wb.webviewFrame('.app vscode-textfield');
}

/** The results panel's document frame (its heading is h1.query). */
export function resultsFrame(wb: Workbench): Promise<Frame> {
  return wb.webviewFrame('h1.query');
}

export interface ProcessInfo {
  pid: number;
  cmdline: string;
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** Processes code-server started for this session (Linux: /proc). */
export function sessionProcesses(session: Session): ProcessInfo[] {
  return groupMembers(session.server.pid).map((pid) => ({ pid, cmdline: cmdlineOf(pid) }));
}

/** Shared objects mapped into a process (Linux /proc/<pid>/maps). */
export function mappedFiles(pid: number): string[] {
  try {
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    return [
      ...new Set(
        maps
          .split('\n')
          .map((l) => l.split(/\s+/).slice(5).join(' '))
          .filter((f) => f.startsWith('/')),
      ),
    ];
  } catch {
    return [];
  }
}

export function extensionHostProcess(session: Session): ProcessInfo | undefined {
  return sessionProcesses(session).find((p) => /--type=extensionHost|extensionHostProcess|bootstrap-fork.*extensionHost/.test(p.cmdline));
}

export function workerProcesses(session: Session): ProcessInfo[] {
  return sessionProcesses(session).filter((p) => /dist[\\/]worker\.js/.test(p.cmdline));
}

export function describeProcesses(session: Session): string {
  return (
    sessionProcesses(session)
      .map((p) => `${p.pid} ${p.cmdline.slice(0, 200)}`)
      .join('\n') || spawnSync('ps', ['-ef'], { encoding: 'utf8' }).stdout
  );
}
