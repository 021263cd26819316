// Drives the VS Code workbench in a page with playwright-core: the command palette, quick input,
// views, the Explorer, notifications, editor tabs and webviews (nested iframes).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Frame, FrameLocator, Locator, Page } from 'playwright-core';
import { RESULTS_DIR } from './codeServer';

export const QUICK_INPUT = '.quick-input-widget';
const QUICK_INPUT_BOX = `${QUICK_INPUT} .quick-input-box input`;
const QUICK_ROWS = `${QUICK_INPUT} .monaco-list-row`;

export class Workbench {
  constructor(
    readonly page: Page,
    readonly label: string,
  ) {}

  /** Waits until the workbench has rendered the Explorer with the workspace's files. */
  async ready(timeout = 120_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout });
    await this.page.locator('.part.statusbar').waitFor({ timeout });
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout });
    await this.dismissNotifications();
  }

  async screenshot(name: string): Promise<string> {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${this.label}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async screenshotOf(locator: Locator, name: string): Promise<string> {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${this.label}-${name}.png`);
    await locator.screenshot({ path: file });
    return file;
  }

  // --- command palette and quick input -----------------------------------------------------

  /** Opens the command palette and runs the command whose label is `label` (exact, e.g. "MobileCLIP Assets: Find Images by Description"). */
  async runCommand(label: string): Promise<void> {
    await this.closeQuickInput();
    await this.page.keyboard.press('F1');
    const box = this.page.locator(QUICK_INPUT_BOX);
    await box.waitFor();
    await box.fill(`>${label}`);
    const row = this.page
      .locator(QUICK_ROWS)
      .filter({ has: this.page.locator('.label-name', { hasText: label }) })
      .first();
    try {
      await row.waitFor({ timeout: 15_000 });
    } catch {
      throw new Error(`command "${label}" is not in the command palette; rows: ${JSON.stringify(await this.quickPickRows())}`);
    }
    await row.click();
  }

  async quickInputVisible(): Promise<boolean> {
    return this.page.locator(QUICK_INPUT).isVisible();
  }

  async closeQuickInput(): Promise<void> {
    if (await this.quickInputVisible()) {
      await this.page.keyboard.press('Escape');
      await this.page.locator(QUICK_INPUT).waitFor({ state: 'hidden' });
    }
  }

  /** Waits for the quick input to show a title matching `title` (commands may prepare for a while first). */
  async waitForQuickInputTitle(title: RegExp, timeout = 120_000): Promise<string> {
    const el = this.page.locator(`${QUICK_INPUT} .quick-input-title`, { hasText: title });
    await el.waitFor({ timeout });
    return (await el.textContent())?.trim() ?? '';
  }

  /** Replaces the quick input's text, as if typed. */
  async typeIntoQuickInput(text: string): Promise<void> {
    const box = this.page.locator(QUICK_INPUT_BOX);
    await box.waitFor();
    await box.fill('');
    await box.pressSequentially(text, { delay: 20 });
  }

  /**
   * Sets the quick input's text in one input event, as a paste does: one search for the whole
   * query, so rows read afterwards cannot be those of a prefix that a slow, loaded machine let the
   * debounce search while typing.
   */
  async pasteIntoQuickInput(text: string): Promise<void> {
    const box = this.page.locator(QUICK_INPUT_BOX);
    await box.waitFor();
    await box.fill(text);
  }

  /** The visible quick pick rows, top to bottom. */
  async quickPickRows(): Promise<{ label: string; description: string; detail: string; ariaLabel: string }[]> {
    return this.page.locator(QUICK_ROWS).evaluateAll((rows) =>
      rows
        .map((r) => ({
          top: Number.parseFloat((r as HTMLElement).style.top || '0'),
          label: r.querySelector('.label-name')?.textContent?.trim() ?? '',
          description: r.querySelector('.label-description')?.textContent?.trim() ?? '',
          detail: r.querySelector('.quick-input-list-label-meta')?.textContent?.trim() ?? '',
          ariaLabel: r.getAttribute('aria-label') ?? '',
        }))
        .sort((a, b) => a.top - b.top)
        .map(({ top: _top, ...rest }) => rest),
    );
  }

  /** Waits until the quick pick shows rows satisfying `predicate`, and returns them. */
  async waitForQuickPickRows(
    predicate: (rows: Awaited<ReturnType<Workbench['quickPickRows']>>) => boolean,
    what: string,
    timeout = 60_000,
  ): Promise<Awaited<ReturnType<Workbench['quickPickRows']>>> {
    const deadline = Date.now() + timeout;
    let rows = await this.quickPickRows();
    while (!predicate(rows)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; quick pick rows: ${JSON.stringify(rows)}`);
      await this.page.waitForTimeout(250);
      rows = await this.quickPickRows();
    }
    return rows;
  }

  // --- views, explorer, editors ------------------------------------------------------------

  /** Opens a view container from the activity bar by its title (e.g. "Assets", "Explorer"). */
  async openViewContainer(title: string): Promise<void> {
    const item = this.page.locator(`.part.activitybar .action-item a.action-label[aria-label^="${title}"], .part.activitybar .action-item[aria-label^="${title}"]`).first();
    await item.waitFor({ timeout: 30_000 });
    const selected = await item.evaluate((el) => !!el.closest('.action-item')?.classList.contains('checked'));
    if (!selected) await item.click();
    await this.page
      .locator(`.part.sidebar .composite.title h2`, { hasText: new RegExp(title, 'i') })
      .first()
      .waitFor({ timeout: 30_000 });
  }

  /** The Explorer row of a workspace-relative path's last segment (the folder must be expanded). */
  explorerRow(fileName: string): Locator {
    return this.page
      .locator('.explorer-folders-view .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(fileName)}$`) }) })
      .first();
  }

  async explorerFileNames(): Promise<string[]> {
    return this.page.locator('.explorer-folders-view .monaco-list-row .label-name').allTextContents();
  }

  /** Right-clicks an Explorer row and clicks a context menu entry. */
  async explorerContextMenu(fileName: string, entry: string): Promise<void> {
    await this.openViewContainer('Explorer');
    const row = this.explorerRow(fileName);
    await row.scrollIntoViewIfNeeded();
    await row.click();
    await row.click({ button: 'right' });
    const menuItem = this.page
      .locator('.monaco-menu .action-item')
      .filter({ has: this.page.locator('.action-label', { hasText: new RegExp(`^${escapeRegExp(entry)}$`) }) })
      .first();
    try {
      await menuItem.waitFor({ timeout: 10_000 });
    } catch {
      const entries = await this.page.locator('.monaco-menu .action-label').allTextContents();
      throw new Error(`context menu of ${fileName} has no "${entry}"; it has: ${JSON.stringify(entries.filter(Boolean))}`);
    }
    // Menu contents can still change while context keys settle, and a click then lands on a
    // re-rendered entry and is lost. Hover (which focuses the entry) and press Enter, as a user
    // with mouse and keyboard would; then check the menu closed, i.e. the entry ran.
    await waitUntil(
      async () => {
        await menuItem.hover();
        return menuItem.evaluate((el) => el.classList.contains('focused')).catch(() => false);
      },
      (focused) => focused,
      `"${entry}" to be focused in the context menu`,
      10_000,
    );
    await this.page.keyboard.press('Enter');
    await this.page
      .locator('.monaco-menu')
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => {
        throw new Error(`the context menu did not close after choosing "${entry}"`);
      });
  }

  async activeTabTitle(): Promise<string> {
    // The name container holds the whole file name (VS Code may split it into name and extension spans).
    const tab = this.page.locator('.part.editor .tabs-container .tab.active .monaco-icon-label-container').first();
    await tab.waitFor({ timeout: 30_000 });
    return (await tab.textContent())?.trim() ?? '';
  }

  async tabTitles(): Promise<string[]> {
    return this.page.locator('.part.editor .tabs-container .tab .monaco-icon-label-container').allTextContents();
  }

  // --- notifications -----------------------------------------------------------------------

  notification(message: RegExp): Locator {
    return this.page.locator('.notification-toast .notification-list-item', { has: this.page.locator('.notification-list-item-message', { hasText: message }) }).first();
  }

  async notificationMessages(): Promise<string[]> {
    return this.page.locator('.notification-toast .notification-list-item-message').allTextContents();
  }

  async clickNotificationButton(message: RegExp, button: string): Promise<void> {
    const n = this.notification(message);
    await n.waitFor({ timeout: 60_000 });
    await n
      .locator('.monaco-button', { hasText: new RegExp(`^${escapeRegExp(button)}$`) })
      .first()
      .click();
  }

  /** Closes toasts that workbench start-up may show (they cover the bottom right). */
  async dismissNotifications(): Promise<void> {
    await this.page.waitForTimeout(500);
    const toasts = this.page.locator('.notification-toast .codicon-notifications-clear, .notification-toast .codicon-close');
    for (let i = (await toasts.count()) - 1; i >= 0; i--)
      await toasts
        .nth(i)
        .click({ timeout: 2000 })
        .catch(() => undefined);
  }

  // --- webviews ----------------------------------------------------------------------------

  /**
   * The content frame of one of our extension's webviews. VS Code hosts each webview in an outer
   * iframe (`iframe.webview`, src names the extension and `purpose`) holding `#active-frame`.
   */
  webview(purpose: 'webviewView' | 'webviewPanel', extensionId: string): FrameLocator {
    return this.page.frameLocator(`iframe.webview.ready[src*="purpose=${purpose}"][src*="extensionId=${extensionId}"]`).first().frameLocator('#active-frame');
  }

  /** The live Frame of a webview (to evaluate scripts), found by a selector its document contains. */
  async webviewFrame(selector: string, timeout = 60_000): Promise<Frame> {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const f of this.page.frames()) {
        if (f.name() === 'active-frame' || f.url().includes('fake.html')) {
          if (
            await f
              .locator(selector)
              .count()
              .catch(() => 0)
          )
            return f;
        }
      }
      if (Date.now() > deadline) throw new Error(`no webview frame contains ${selector}`);
      await this.page.waitForTimeout(250);
    }
  }
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Polls `read` until `ok` holds; the error names `what` and the last value seen. */
export async function waitUntil<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeout = 60_000, interval = 250): Promise<T> {
  const deadline = Date.now() + timeout;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, interval));
    last = await read();
  }
  return last;
}
