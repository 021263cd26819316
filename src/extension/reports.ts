// Read-only Markdown pages (error details, verification reports, captions) shown in VS Code's
// Markdown preview. They are virtual documents of our own scheme: nothing to save, no dirty
// "Untitled" buffer asking to be saved on close, and the text stays available to copy.
import * as vscode from 'vscode';

const REPORT_SCHEME = 'mobileclip-assets-report';

const pages = new Map<string, string>();
const changed = new vscode.EventEmitter<vscode.Uri>();
let registered: vscode.Disposable | undefined;

/** Registers the content provider; call once from activate(). */
export function registerReports(context: vscode.ExtensionContext): void {
  registered ??= vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, {
    onDidChange: changed.event,
    provideTextDocumentContent: (uri) => pages.get(uri.path) ?? '# This page is gone\n\nRun the command again to see it.\n',
  });
  context.subscriptions.push(registered, changed, {
    dispose: () => {
      registered = undefined;
      pages.clear();
    },
  });
}

/** The URI of a report page named `name` (e.g. "Verify dataset-reinforced.md"). */
function reportUri(name: string): vscode.Uri {
  const file = name.replace(/[\\/?#]/g, '-');
  return vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${file.endsWith('.md') ? file : `${file}.md`}` });
}

/** Shows `markdown` as a rendered, read-only page (a page of the same name is replaced). */
export async function showReport(name: string, markdown: string): Promise<vscode.Uri> {
  const uri = reportUri(name);
  pages.set(uri.path, markdown);
  changed.fire(uri);
  await vscode.commands.executeCommand('markdown.showPreview', uri);
  return uri;
}
