// Near-duplicate groups over an index snapshot, in three tiers:
//   1. exact: entries with the same sha256 (the index already shares one embedding between them);
//   2. candidates: each distinct content's nearest neighbours by embedding cosine (the search
//      code's scoring), at most `neighbours` per image above `embeddingThreshold`;
//   3. confirmation: a candidate pair is a duplicate only when its pixel signatures agree in
//      structure and colour (./signature.ts). The embedding finds look-alikes; the pixels decide
//      whether they are the same picture.
// Pairs a team marked "not duplicates" (./decisions.ts) are never joined, even through a third
// image. The result is plain data for the CLI table, the JSON output and the editor's view.
import type { IndexEntry, IndexSnapshot } from '../index/format';
import { TopK } from '../search/topk';
import { allocVectors, dotRow, dotRows } from '../vectors';
import { separatedBy, type DuplicateDecisions } from './decisions';
import { aspectCompatible, colourDistance, localDifference, prepareSignature, structureSimilarity, type PixelSignature, type PreparedSignature } from './signature';

/** Defaults of the mobileclipAssets.duplicates.* settings (justified in test/duplicates/grouping.test.ts). */
export const DEFAULT_DUPLICATE_THRESHOLDS = {
  /** Cosine between image embeddings for a pair to be checked at all (recall-oriented: the pixels decide). */
  embedding: 0.8,
  /** Correlation of the 16x16 grey grids of the content. */
  structure: 0.9,
  /** Largest difference of any small region (4x4 cells of the 32x32 grid, in standard scores). */
  detail: 0.6,
  /** Mean difference of the 4x4 colour grids, in 0..255 levels. */
  colour: 12,
} as const;

export const DEFAULT_NEIGHBOURS = 64;

export interface DuplicateThresholds {
  embedding: number;
  structure: number;
  detail: number;
  colour: number;
}

export interface GroupOptions {
  thresholds?: Partial<DuplicateThresholds>;
  /** Embedding neighbours checked per image (bounds the work when many images look alike). */
  neighbours?: number;
  /** "Not duplicates" decisions (./decisions.ts): their pairs stay apart. */
  decisions?: DuplicateDecisions;
  /** References per path, to prefer the most-used file as the one to keep. */
  referenceCount?: (path: string) => number;
  signal?: AbortSignal;
  /** Called every few hundred images during the embedding pass. */
  onProgress?: (done: number, total: number) => void;
}

export interface DuplicateMember {
  path: string;
  size: number;
  width: number;
  height: number;
  sha256: string;
}

export interface DuplicateGroup {
  /** The suggested file to keep first (most pixels, then most references, then smallest), then by path. */
  members: DuplicateMember[];
  /** Bytes freed by keeping only the first member. */
  bytesWasted: number;
  totalBytes: number;
  /** Lowest embedding cosine between two members (1 when all are byte-identical). */
  similarity: number;
  /** Every member has the same bytes. */
  exact: boolean;
}

export interface GroupRun {
  /** Most bytes wasted first. */
  groups: DuplicateGroup[];
  /** Distinct contents compared, and candidate pairs whose pixels were checked. */
  contents: number;
  candidatePairs: number;
  confirmedPairs: number;
}

interface Content {
  sha256: string;
  row: number;
  entries: IndexEntry[];
  signature?: PreparedSignature;
  /** Any of its paths is named in a decision (only then are pairs checked path by path). */
  decided: boolean;
}

interface Edge {
  from: string;
  to: string;
  strength: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

// Long: one pass of stages (exact copies, embedding neighbours, pixel checks, union) over the same arrays and progress.
export async function groupDuplicates(snapshot: IndexSnapshot, signatures: ReadonlyMap<string, PixelSignature>, options: GroupOptions = {}): Promise<GroupRun> {
  const t = { ...DEFAULT_DUPLICATE_THRESHOLDS, ...options.thresholds };
  const k = Math.max(1, Math.floor(options.neighbours ?? DEFAULT_NEIGHBOURS));
  const decisions = options.decisions ?? { notDuplicates: [], problems: [] };
  const separated = separatedBy(decisions);
  const decidedPaths = new Set(decisions.notDuplicates.flat());

  // Tier 1: one content per sha256.
  const bySha = new Map<string, Content>();
  for (const e of snapshot.entries) {
    let c = bySha.get(e.sha256);
    if (!c) bySha.set(e.sha256, (c = { sha256: e.sha256, row: e.row, entries: [], decided: false }));
    c.entries.push(e);
    if (decidedPaths.has(e.path)) c.decided = true;
  }
  const contents = [...bySha.values()];
  const edges: Edge[] = [];
  for (let ci = 0; ci < contents.length; ci++) {
    const c = contents[ci]!;
    c.entries.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    const sig = signatures.get(c.sha256);
    if (sig) c.signature = prepareSignature(sig);
  }

  // Tier 2: embedding neighbours of the contents that have a signature, scored in one
  // contiguous copy of their vectors (where the SIMD kernel reads them).
  const dim = snapshot.dim;
  const checked = contents.map((_, i) => i).filter((i) => contents[i]!.signature);
  const n = checked.length;
  const vectors = allocVectors(n * dim);
  checked.forEach((ci, i) => snapshot.vectors.row(contents[ci]!.row, vectors.subarray(i * dim, (i + 1) * dim)));
  const near = Array.from({ length: n }, () => new TopK(k));
  const scores = new Float32Array(n);
  for (let i = 0; i + 1 < n; i++) {
    if (i % 64 === 0) {
      options.signal?.throwIfAborted();
      if (i % 256 === 0) options.onProgress?.(i, n);
      await nextTurn();
    }
    const rest = n - i - 1;
    dotRows(vectors.subarray((i + 1) * dim, n * dim), dim, vectors.subarray(i * dim, (i + 1) * dim), scores.subarray(0, rest));
    const mine = near[i]!;
    for (let r = 0; r < rest; r++) {
      const s = scores[r]!;
      if (!(s >= t.embedding)) continue;
      const j = i + 1 + r;
      if (mine.accepts(j, s)) mine.push(j, s);
      if (near[j]!.accepts(i, s)) near[j]!.push(i, s);
    }
  }
  options.onProgress?.(n, n);

  // Tier 3: pixel confirmation of each candidate pair (once per pair).
  let candidatePairs = 0;
  let confirmedPairs = 0;
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    for (const { index: j, score } of near[i]!.sorted()) {
      const key = i < j ? i * n + j : j * n + i;
      if (seen.has(key)) continue;
      seen.add(key);
      candidatePairs++;
      const a = contents[checked[i]!]!;
      const b = contents[checked[j]!]!;
      if (!sameImage(a.signature!, b.signature!, t)) continue;
      confirmedPairs++;
      edges.push(...pathEdges(a, b, score));
    }
  }
  // Exact copies join first, then the strongest confirmed pairs.
  for (const c of contents) edges.push(...pathEdges(c, c, 2));
  edges.sort((x, y) => y.strength - x.strength);

  const signatureOf = new Map<string, PreparedSignature | undefined>(contents.map((c) => [c.sha256, c.signature]));
  const alike = (x: IndexEntry, y: IndexEntry) => {
    const sx = signatureOf.get(x.sha256);
    const sy = signatureOf.get(y.sha256);
    return !!sx && !!sy && sameImage(sx, sy, t);
  };
  const clusters = clusterPaths(snapshot.entries, edges, separated, decidedPaths, alike);
  const entryByPath = new Map(snapshot.entries.map((e) => [e.path, e]));
  const groups = clusters.map((paths) =>
    describeGroup(
      paths.map((p) => entryByPath.get(p)!),
      snapshot,
      options.referenceCount,
    ),
  );
  groups.sort((x, y) => y.bytesWasted - x.bytesWasted || (x.members[0]!.path < y.members[0]!.path ? -1 : 1));
  return { groups, contents: contents.length, candidatePairs, confirmedPairs };
}

/** The pixel check: same shape of content, same structure overall and in every region, same colours. */
export function sameImage(a: PreparedSignature, b: PreparedSignature, t: Pick<DuplicateThresholds, 'structure' | 'detail' | 'colour'>): boolean {
  return aspectCompatible(a, b) && colourDistance(a, b) <= t.colour && structureSimilarity(a, b) >= t.structure && localDifference(a, b) <= t.detail;
}

/**
 * The edges joining two contents (or one content's copies, when a === b): a chain through their
 * paths, or every pair when a decision names one of them (so the decision can cut exactly it).
 */
function pathEdges(a: Content, b: Content, strength: number): Edge[] {
  const edge = (x: IndexEntry, y: IndexEntry): Edge => ({ from: x.path, to: y.path, strength });
  const out: Edge[] = [];
  const pa = a.entries;
  const pb = b.entries;
  if (a === b) {
    if (!a.decided) for (let i = 1; i < pa.length; i++) out.push(edge(pa[i - 1]!, pa[i]!));
    else for (let i = 0; i < pa.length; i++) for (let j = i + 1; j < pa.length; j++) out.push(edge(pa[i]!, pa[j]!));
    return out;
  }
  if (!a.decided && !b.decided) return [edge(pa[0]!, pb[0]!)];
  for (const x of pa) for (const y of pb) out.push(edge(x, y));
  return out;
}

/**
 * Union of the edges, strongest first. Two groups join only when their representatives (the
 * member with the most pixels, the one to keep) pass the pixel check themselves, so a chain of
 * small steps (a gradient through the spectrum, a clock whose hand moves a little per image)
 * never makes one group of things that do not look alike; and never when a decision keeps two
 * of their members apart.
 */
function clusterPaths(
  entries: readonly IndexEntry[],
  edges: readonly Edge[],
  separated: (a: string, b: string) => boolean,
  decidedPaths: ReadonlySet<string>,
  alike: (a: IndexEntry, b: IndexEntry) => boolean,
): string[][] {
  interface Cluster {
    members: string[];
    decided: string[];
    rep: IndexEntry;
  }
  const parent = new Map<string, string>();
  const clusters = new Map<string, Cluster>();
  for (const e of entries) {
    parent.set(e.path, e.path);
    clusters.set(e.path, { members: [e.path], decided: decidedPaths.has(e.path) ? [e.path] : [], rep: e });
  }
  const find = (p: string): string => {
    let root = p;
    while (parent.get(root) !== root) root = parent.get(root)!;
    for (let q = p; q !== root;) {
      const up = parent.get(q)!;
      parent.set(q, root);
      q = up;
    }
    return root;
  };
  const pixels = (e: IndexEntry) => e.width * e.height;
  for (const edge of edges) {
    const ra = find(edge.from);
    const rb = find(edge.to);
    if (ra === rb) continue;
    const a = clusters.get(ra)!;
    const b = clusters.get(rb)!;
    if (a.decided.length && b.decided.length && a.decided.some((x) => b.decided.some((y) => separated(x, y)))) continue;
    if (a.rep.sha256 !== b.rep.sha256 && !alike(a.rep, b.rep)) continue;
    const [big, small, rootBig, rootSmall] = a.members.length >= b.members.length ? [a, b, ra, rb] : [b, a, rb, ra];
    parent.set(rootSmall, rootBig);
    big.members.push(...small.members);
    big.decided.push(...small.decided);
    if (pixels(small.rep) > pixels(big.rep)) big.rep = small.rep;
    clusters.delete(rootSmall);
  }
  return [...clusters.values()].map((c) => c.members).filter((m) => m.length > 1);
}

function describeGroup(entries: IndexEntry[], snapshot: IndexSnapshot, referenceCount?: (path: string) => number): DuplicateGroup {
  const refs = (e: IndexEntry) => referenceCount?.(e.path) ?? 0;
  const sorted = [...entries].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const keep = [...sorted].sort((x, y) => y.width * y.height - x.width * x.height || refs(y) - refs(x) || x.size - y.size || x.path.length - y.path.length)[0]!;
  const members = [keep, ...sorted.filter((e) => e !== keep)].map(({ path, size, width, height, sha256 }) => ({ path, size, width, height, sha256 }));
  const totalBytes = members.reduce((s, m) => s + m.size, 0);
  const exact = members.every((m) => m.sha256 === members[0]!.sha256);
  let similarity = 1;
  if (!exact) {
    const rows = [...new Set(entries.map((e) => e.row))];
    for (let i = 0; i < rows.length; i++) {
      const q = snapshot.vectors.row(rows[i]!);
      for (let j = i + 1; j < rows.length; j++) similarity = Math.min(similarity, dotRow(snapshot.vectors, snapshot.dim, rows[j]!, q));
    }
  }
  return { members, bytesWasted: totalBytes - keep.size, totalBytes, similarity, exact };
}
