// The boundary between a webview and the host. A webview is a browser page: whatever runs in it
// (a bug, a compromised dependency of the bundle, a crafted SVG that escapes its sandbox) can post
// any JSON. Every message is checked here for shape before the session looks at it; ids are then
// checked against the items the host itself listed (WebviewSession.knows). No `vscode` import.
import { MODEL_ACTIONS, type ModelAction, type WebviewToHost } from '../../shared/messages';

/** More ids than a workspace has images is never a real selection. */
export const MAX_IDS = 200_000;
const MAX_ID_LENGTH = 4096;
const MAX_QUERY_LENGTH = 10_000;

type Check = (m: Record<string, unknown>) => string | undefined;

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
const id: Check = (m) => (isId(m.id) ? undefined : '"id" must be a non-empty string');
const ids: Check = (m) => (Array.isArray(m.ids) && m.ids.length <= MAX_IDS && m.ids.every(isId) ? undefined : `"ids" must be a list of at most ${MAX_IDS} ids`);
const text =
  (field: string, optional = false): Check =>
  (m) => {
    const v = m[field];
    if (optional && v === undefined) return undefined;
    return typeof v === 'string' && v.length <= MAX_QUERY_LENGTH ? undefined : `"${field}" must be a string of at most ${MAX_QUERY_LENGTH} characters`;
  };
const none: Check = () => undefined;
const modelActions: ReadonlySet<string> = new Set<ModelAction>(MODEL_ACTIONS);

/** Every message type the host accepts, with the checks of its fields. */
const SHAPES: Record<WebviewToHost['type'], Check[]> = {
  ready: [none],
  open: [ids],
  reveal: [id],
  findSimilar: [id],
  copyPath: [ids],
  copyMarkdownLink: [ids],
  generateCaptions: [ids],
  editTags: [ids],
  search: [(m) => (typeof m.seq === 'number' && Number.isFinite(m.seq) ? undefined : '"seq" must be a number'), text('query')],
  requestThumbnails: [ids],
  selectionChanged: [ids],
  downloadModel: [none],
  modelAction: [(m) => (typeof m.action === 'string' && modelActions.has(m.action) ? undefined : `"action" must be one of ${MODEL_ACTIONS.join(', ')}`)],
  restartWorker: [none],
  pinResults: [none],
  openSettings: [text('query', true)],
  openFolder: [none],
  openAllInPanel: [text('query'), ids],
  findDuplicates: [none],
  keepDuplicate: [
    id,
    (m) => (Array.isArray(m.others) && m.others.length > 0 && m.others.length <= MAX_IDS && m.others.every(isId) ? undefined : '"others" must be a non-empty list of ids'),
  ],
  notDuplicates: [ids],
  revealReferences: [id],
};

/** A message from a webview as the protocol defines it, or why it is not one. */
export function parseWebviewMessage(raw: unknown): { message: WebviewToHost } | { error: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { error: 'not a message object' };
  const m = raw as Record<string, unknown>;
  const type = m.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(SHAPES, type)) {
    return { error: `unknown message type ${describe(type)}` };
  }
  for (const check of SHAPES[type as WebviewToHost['type']]) {
    const problem = check(m);
    if (problem) return { error: `"${type}" message: ${problem}` };
  }
  return { message: m as unknown as WebviewToHost };
}

/** A value for a log line: quoted, cut short, control characters escaped by JSON. */
export function describe(value: unknown): string {
  const s = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? '[object]' : String(value);
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
}
