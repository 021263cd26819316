// The index's entries in memory as columns: typed arrays for the numbers, the content hash and
// the UTF-8 paths, and no JS object per image. At 100k images an IndexEntry object per image
// (with its strings, boxed mtime and two map slots) cost ~30 MB of JS heap, and loading them
// all at once grew V8's young generation to its maximum; the columns take ~10 MB outside the
// heap. Objects and path strings are made only when a caller asks for them.
//
// Slots are append-only: setting a path writes a new slot and retires the old one, and a slot is
// never rewritten, so a sorted view (EntryList) taken earlier stays valid while the table grows.
// Retired slots are dropped by a repack once they outnumber the live ones.
import type { IndexEntry } from './format';

const SHA_BYTES = 32;

/** Entries in path order, read by index without an object per entry. */
export interface EntryList {
  readonly length: number;
  path(i: number): string;
  row(i: number): number;
  sha256(i: number): string;
  width(i: number): number;
  height(i: number): number;
  /** The entry at `i` as a fresh object. */
  at(i: number): IndexEntry;
  /** row(i) for every i (built once per list). */
  rows(): Int32Array;
}

/** What an entry's content gives any other file with the same content. */
export type ContentInfo = Pick<IndexEntry, 'row' | 'width' | 'height'>;

/** The column arrays of one capacity; a grown table gets new ones and views keep the old. */
class Columns {
  /** UTF-8 of every slot's path, back to back (slot s at pathStart[s], pathLength[s] bytes). */
  pathBytes: Uint8Array;
  readonly pathStart: Float64Array;
  readonly pathLength: Uint32Array;
  /** A hash of each path (see pathHash), for the path index. */
  readonly pathHash: Int32Array;
  readonly size: Float64Array;
  readonly mtimeMs: Float64Array;
  readonly row: Int32Array;
  readonly width: Uint32Array;
  readonly height: Uint32Array;
  readonly sha: Uint8Array;

  constructor(
    readonly capacity: number,
    from?: Columns,
    count = 0,
  ) {
    this.pathBytes = from ? from.pathBytes : new Uint8Array(capacity * 24);
    this.pathStart = new Float64Array(capacity);
    this.pathLength = new Uint32Array(capacity);
    this.pathHash = new Int32Array(capacity);
    this.size = new Float64Array(capacity);
    this.mtimeMs = new Float64Array(capacity);
    this.row = new Int32Array(capacity);
    this.width = new Uint32Array(capacity);
    this.height = new Uint32Array(capacity);
    this.sha = new Uint8Array(capacity * SHA_BYTES);
    if (from) {
      this.pathStart.set(from.pathStart.subarray(0, count));
      this.pathLength.set(from.pathLength.subarray(0, count));
      this.pathHash.set(from.pathHash.subarray(0, count));
      this.size.set(from.size.subarray(0, count));
      this.mtimeMs.set(from.mtimeMs.subarray(0, count));
      this.row.set(from.row.subarray(0, count));
      this.width.set(from.width.subarray(0, count));
      this.height.set(from.height.subarray(0, count));
      this.sha.set(from.sha.subarray(0, count * SHA_BYTES));
    }
  }

  path(slot: number): string {
    const start = this.pathStart[slot]!;
    return utf8.decode(this.pathBytes.subarray(start, start + this.pathLength[slot]!));
  }

  private shaView: Buffer | undefined;
  /** The sha column as a Buffer, for hex conversions without a copy. */
  shaBuffer(): Buffer {
    return (this.shaView ??= Buffer.from(this.sha.buffer, this.sha.byteOffset, this.sha.byteLength));
  }

  shaHex(slot: number): string {
    return this.shaBuffer().toString('hex', slot * SHA_BYTES, (slot + 1) * SHA_BYTES);
  }

  entry(slot: number): IndexEntry {
    return {
      path: this.path(slot),
      size: this.size[slot]!,
      mtimeMs: this.mtimeMs[slot]!,
      sha256: this.shaHex(slot),
      row: this.row[slot]!,
      width: this.width[slot]!,
      height: this.height[slot]!,
    };
  }
}

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

class SortedEntries implements EntryList {
  private rowCache: Int32Array | undefined;
  /** Paths decoded so far: a list that is searched by path keeps its strings, an idle one has none. */
  private pathCache: (string | undefined)[] | undefined;
  constructor(
    private readonly cols: Columns,
    private readonly order: Int32Array,
  ) {}
  get length(): number {
    return this.order.length;
  }
  path(i: number): string {
    this.pathCache ??= new Array<string | undefined>(this.order.length);
    return (this.pathCache[i] ??= this.cols.path(this.order[i]!));
  }
  row(i: number): number {
    return this.cols.row[this.order[i]!]!;
  }
  sha256(i: number): string {
    return this.cols.shaHex(this.order[i]!);
  }
  width(i: number): number {
    return this.cols.width[this.order[i]!]!;
  }
  height(i: number): number {
    return this.cols.height[this.order[i]!]!;
  }
  at(i: number): IndexEntry {
    return this.cols.entry(this.order[i]!);
  }
  rows(): Int32Array {
    if (!this.rowCache) {
      const rows = new Int32Array(this.order.length);
      for (let i = 0; i < rows.length; i++) rows[i] = this.cols.row[this.order[i]!]!;
      this.rowCache = rows;
    }
    return this.rowCache;
  }
}

/** An EntryList over plain entry objects (snapshots built by hand, e.g. in tests). */
class ArrayEntries implements EntryList {
  private rowCache: Int32Array | undefined;
  constructor(private readonly entries: readonly IndexEntry[]) {}
  get length(): number {
    return this.entries.length;
  }
  path(i: number): string {
    return this.entries[i]!.path;
  }
  row(i: number): number {
    return this.entries[i]!.row;
  }
  sha256(i: number): string {
    return this.entries[i]!.sha256;
  }
  width(i: number): number {
    return this.entries[i]!.width;
  }
  height(i: number): number {
    return this.entries[i]!.height;
  }
  at(i: number): IndexEntry {
    return this.entries[i]!;
  }
  rows(): Int32Array {
    this.rowCache ??= Int32Array.from(this.entries, (e) => e.row);
    return this.rowCache;
  }
}

const listCache = new WeakMap<readonly IndexEntry[], EntryList>();

/** The columns of a snapshot, or a column view of its `entries` when it was built as objects. */
export function entryListOf(snapshot: { entries: readonly IndexEntry[]; table?: EntryList }): EntryList {
  if (snapshot.table) return snapshot.table;
  let list = listCache.get(snapshot.entries);
  if (!list) listCache.set(snapshot.entries, (list = new ArrayEntries(snapshot.entries)));
  return list;
}

/** Every entry of a list as objects (what IndexSnapshot.entries gives callers that want them). */
export function entryObjects(list: EntryList): IndexEntry[] {
  const out = new Array<IndexEntry>(list.length);
  for (let i = 0; i < out.length; i++) out[i] = list.at(i);
  return out;
}

/** A 32-bit hash of all of a sha256's bytes (not only its first: hand-made hashes in tests and benchmarks share prefixes). */
function shaKey(sha: Uint8Array, at: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < SHA_BYTES; k += 4) {
    const word = sha[at + k]! | (sha[at + k + 1]! << 8) | (sha[at + k + 2]! << 16) | (sha[at + k + 3]! << 24);
    h = Math.imul(h ^ word, 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

function sameSha(a: Uint8Array, at: number, b: Uint8Array, bt: number): boolean {
  for (let k = 0; k < SHA_BYTES; k++) if (a[at + k] !== b[bt + k]) return false;
  return true;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A 32-bit hash of a path's UTF-16 code units (FNV-1a). */
function pathHash(p: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
  return h | 0;
}

const EMPTY = 0;
const REMOVED = -1;

/** The writer's mutable entry table. */
export class EntryTable {
  private cols: Columns;
  /** Slots written so far (live and retired). */
  private slots = 0;
  /** Bytes of cols.pathBytes in use. */
  private pathUsed = 0;
  private live = 0;
  /** Whether each slot is the live one of its path. */
  private alive: Uint8Array;
  /** Path -> its live slot (open addressing on pathHash, slot + 1; EMPTY, REMOVED). */
  private byPath: Int32Array = new Int32Array(64);
  private byPathUsed = 0;
  /**
   * Content -> the slot last set with it (open addressing on the sha's bytes, slot + 1, 0 =
   * empty). Kept for retired slots too: a deleted file's vector stays reusable for a move
   * until compaction.
   */
  private content: Int32Array = new Int32Array(64);
  private contentUsed = 0;
  private sorted: EntryList | undefined;
  private distinct: number | undefined;

  constructor(capacity = 64) {
    this.cols = new Columns(Math.max(16, capacity));
    this.alive = new Uint8Array(this.cols.capacity);
  }

  static from(entries: Iterable<IndexEntry>, capacity = 64): EntryTable {
    const table = new EntryTable(capacity);
    for (const e of entries) table.set(e);
    table.trim();
    return table;
  }

  /** Drop spare capacity and retired slots no content needs (after a bulk load). */
  trim(): void {
    this.repack(this.slotsInUse(), true, 0);
  }

  /** Slots still needed, ascending: live entries, and retired ones whose content may be reused. */
  private slotsInUse(): number[] {
    const keep = new Set<number>();
    for (let slot = 0; slot < this.slots; slot++) if (this.alive[slot]) keep.add(slot);
    for (let h = 0; h < this.content.length; h++) if (this.content[h]! > 0) keep.add(this.content[h]! - 1);
    return [...keep].sort((a, b) => a - b);
  }

  get size(): number {
    return this.live;
  }

  /** Slots held, live and retired (what the repack bounds). */
  get slotCount(): number {
    return this.slots;
  }

  has(p: string): boolean {
    return this.slotOf(p) >= 0;
  }

  get(p: string): IndexEntry | undefined {
    const slot = this.slotOf(p);
    return slot < 0 ? undefined : this.cols.entry(slot);
  }

  *paths(): IterableIterator<string> {
    for (let slot = 0; slot < this.slots; slot++) if (this.alive[slot]) yield this.cols.path(slot);
  }

  /** The rows live entries use. */
  liveRows(): Set<number> {
    const live = new Set<number>();
    for (let slot = 0; slot < this.slots; slot++) if (this.alive[slot]) live.add(this.cols.row[slot]!);
    return live;
  }

  /** Adds or replaces the entry for `entry.path`. */
  set(entry: IndexEntry): void {
    if (!HEX64.test(entry.sha256)) throw new Error(`not a sha256: ${entry.sha256}`);
    if (this.slots === this.cols.capacity) this.grow();
    // Encoded straight into the column (UTF-8 takes at most 3 bytes per UTF-16 unit): a
    // temporary buffer per entry fragmented the native heap when loading 100k of them.
    if (this.pathUsed + 3 * entry.path.length > this.cols.pathBytes.length) this.growPaths(3 * entry.path.length);
    const old = this.slotOf(entry.path);
    if (old >= 0) this.retire(old);
    const slot = this.slots++;
    const c = this.cols;
    const written = utf8Encoder.encodeInto(entry.path, c.pathBytes.subarray(this.pathUsed)).written;
    c.pathStart[slot] = this.pathUsed;
    c.pathLength[slot] = written;
    c.pathHash[slot] = pathHash(entry.path);
    this.pathUsed += written;
    c.size[slot] = entry.size;
    c.mtimeMs[slot] = entry.mtimeMs;
    c.row[slot] = entry.row;
    c.width[slot] = entry.width;
    c.height[slot] = entry.height;
    c.shaBuffer().write(entry.sha256, slot * SHA_BYTES, SHA_BYTES, 'hex');
    this.alive[slot] = 1;
    this.live++;
    this.placePath(slot);
    this.noteContent(slot);
    this.changed();
  }

  delete(p: string): boolean {
    const slot = this.slotOf(p);
    if (slot < 0) return false;
    this.retire(slot);
    this.changed();
    return true;
  }

  /** Row, width and height stored for a content (also of a file deleted since the last compaction). */
  contentInfo(sha256: string): ContentInfo | undefined {
    if (!HEX64.test(sha256)) return undefined;
    const slot = this.findContent(Buffer.from(sha256, 'hex'), 0);
    if (slot < 0) return undefined;
    const c = this.cols;
    return { row: c.row[slot]!, width: c.width[slot]!, height: c.height[slot]! };
  }

  /** Distinct contents among the live entries. */
  get distinctCount(): number {
    if (this.distinct === undefined) {
      const seen = new Int32Array(tableSizeFor(this.live));
      const mask = seen.length - 1;
      const sha = this.cols.sha;
      let n = 0;
      for (let slot = 0; slot < this.slots; slot++) {
        if (!this.alive[slot]) continue;
        const at = slot * SHA_BYTES;
        for (let h = shaKey(sha, at) & mask; ; h = (h + 1) & mask) {
          const other = seen[h]! - 1;
          if (other < 0) {
            seen[h] = slot + 1;
            n++;
            break;
          }
          if (sameSha(sha, other * SHA_BYTES, sha, at)) break;
        }
      }
      this.distinct = n;
    }
    return this.distinct;
  }

  /** The live entries sorted by path; the same list until the next change. */
  list(): EntryList {
    if (!this.sorted) {
      const c = this.cols;
      const order = new Int32Array(this.live);
      let n = 0;
      for (let slot = 0; slot < this.slots; slot++) if (this.alive[slot]) order[n++] = slot;
      // By the paths' UTF-16 order (plain <, as the manifest always was). A loaded index is
      // in order already: checking that holds two strings at a time, where sorting holds all.
      let inOrder = true;
      for (let i = 1, prev = n > 0 ? c.path(order[0]!) : ''; i < n && inOrder; i++) {
        const next = c.path(order[i]!);
        inOrder = prev < next;
        prev = next;
      }
      if (!inOrder) {
        const paths = Array.from(order, (slot) => c.path(slot));
        const index = Array.from(order.keys()).sort((a, b) => (paths[a]! < paths[b]! ? -1 : paths[a]! > paths[b]! ? 1 : 0));
        order.set(Int32Array.from(index, (i) => order[i]!));
      }
      this.sorted = new SortedEntries(c, order);
    }
    return this.sorted;
  }

  /**
   * Renumber rows after vector compaction: `remap` gives each live row its new number. Retired
   * slots go, and with them the content of deleted files (their rows are gone too).
   */
  remapRows(remap: (row: number) => number): void {
    const live: number[] = [];
    for (let slot = 0; slot < this.slots; slot++) if (this.alive[slot]) live.push(slot);
    this.repack(live);
    const row = this.cols.row;
    for (let slot = 0; slot < this.slots; slot++) row[slot] = remap(row[slot]!);
    this.changed();
  }

  private changed(): void {
    this.sorted = undefined;
    this.distinct = undefined;
  }

  private retire(slot: number): void {
    const table = this.byPath;
    const mask = table.length - 1;
    for (let h = this.cols.pathHash[slot]! & mask; ; h = (h + 1) & mask) {
      if (table[h] === slot + 1) {
        table[h] = REMOVED;
        break;
      }
    }
    this.alive[slot] = 0;
    this.live--;
  }

  private slotOf(p: string): number {
    const table = this.byPath;
    const mask = table.length - 1;
    const hash = pathHash(p);
    const c = this.cols;
    for (let h = hash & mask; ; h = (h + 1) & mask) {
      const cell = table[h]!;
      if (cell === EMPTY) return -1;
      if (cell === REMOVED) continue;
      const slot = cell - 1;
      if (c.pathHash[slot] === hash && c.path(slot) === p) return slot;
    }
  }

  private placePath(slot: number): void {
    if ((this.byPathUsed + 1) * 2 > this.byPath.length) this.rebuildPaths();
    const table = this.byPath;
    const mask = table.length - 1;
    let h = this.cols.pathHash[slot]! & mask;
    while (table[h] !== EMPTY) h = (h + 1) & mask;
    table[h] = slot + 1;
    this.byPathUsed++;
  }

  /** A fresh path index of the live slots (also clears REMOVED cells). */
  private rebuildPaths(): void {
    this.byPath = new Int32Array(tableSizeFor(this.live + 1));
    this.byPathUsed = 0;
    const mask = this.byPath.length - 1;
    for (let slot = 0; slot < this.slots; slot++) {
      if (!this.alive[slot]) continue;
      let h = this.cols.pathHash[slot]! & mask;
      while (this.byPath[h] !== EMPTY) h = (h + 1) & mask;
      this.byPath[h] = slot + 1;
      this.byPathUsed++;
    }
  }

  private grow(): void {
    // Retired slots first: once they outnumber live ones, repack instead of growing.
    const retired = this.slots - this.live;
    if (retired > 1024 && retired > this.live) {
      this.repack(this.slotsInUse(), true, 0.25);
      if (this.slots < this.cols.capacity) return;
    }
    this.cols = new Columns(this.cols.capacity * 2, this.cols, this.slots);
    const alive = new Uint8Array(this.cols.capacity);
    alive.set(this.alive.subarray(0, this.slots));
    this.alive = alive;
  }

  /** Room for `extra` more path bytes: new columns sharing the numbers (older lists keep theirs). */
  private growPaths(extra: number): void {
    const next = new Columns(this.cols.capacity, this.cols, this.slots);
    next.pathBytes = new Uint8Array(Math.max(2 * this.cols.pathBytes.length, this.pathUsed + extra + 4096));
    next.pathBytes.set(this.cols.pathBytes.subarray(0, this.pathUsed));
    this.cols = next;
  }

  /**
   * Copy `slots` (ascending) into fresh columns with `headroom` to grow; the content index keeps
   * its mapping when `keepContent`, else is rebuilt from the live entries.
   */
  private repack(slots: number[], keepContent = false, headroom = 0.25): void {
    const old = this.cols;
    const next = new Columns(Math.max(16, Math.ceil(slots.length * (1 + headroom))));
    let pathBytes = 0;
    for (const from of slots) pathBytes += old.pathLength[from]!;
    next.pathBytes = new Uint8Array(Math.max(64, Math.ceil(pathBytes * (1 + headroom))));
    const moved = new Int32Array(this.slots).fill(-1);
    const alive = new Uint8Array(next.capacity);
    let used = 0;
    slots.forEach((from, to) => {
      moved[from] = to;
      const start = old.pathStart[from]!;
      const length = old.pathLength[from]!;
      next.pathBytes.set(old.pathBytes.subarray(start, start + length), used);
      next.pathStart[to] = used;
      next.pathLength[to] = length;
      used += length;
      next.pathHash[to] = old.pathHash[from]!;
      next.size[to] = old.size[from]!;
      next.mtimeMs[to] = old.mtimeMs[from]!;
      next.row[to] = old.row[from]!;
      next.width[to] = old.width[from]!;
      next.height[to] = old.height[from]!;
      next.sha.set(old.sha.subarray(from * SHA_BYTES, (from + 1) * SHA_BYTES), to * SHA_BYTES);
      alive[to] = this.alive[from]!;
    });
    const oldContent = this.content;
    this.cols = next;
    this.alive = alive;
    this.slots = slots.length;
    this.pathUsed = used;
    this.rebuildPaths();
    this.content = new Int32Array(tableSizeFor(this.slots));
    this.contentUsed = 0;
    if (keepContent) {
      for (let h = 0; h < oldContent.length; h++) {
        const slot = oldContent[h]! - 1;
        if (slot >= 0 && moved[slot]! >= 0) this.noteContent(moved[slot]!);
      }
    } else {
      for (let slot = 0; slot < this.slots; slot++) if (this.alive[slot]) this.noteContent(slot);
    }
    this.changed();
  }

  private findContent(sha: Uint8Array, at: number): number {
    const table = this.content;
    const mask = table.length - 1;
    for (let h = shaKey(sha, at) & mask; ; h = (h + 1) & mask) {
      const slot = table[h]! - 1;
      if (slot < 0) return -1;
      if (sameSha(this.cols.sha, slot * SHA_BYTES, sha, at)) return slot;
    }
  }

  /** Make `slot` the one its content maps to. */
  private noteContent(slot: number): void {
    if ((this.contentUsed + 1) * 2 > this.content.length) {
      const old = this.content;
      this.content = new Int32Array(old.length * 2);
      this.contentUsed = 0;
      for (let h = 0; h < old.length; h++) if (old[h]! > 0) this.placeContent(old[h]! - 1);
    }
    this.placeContent(slot);
  }

  private placeContent(slot: number): void {
    const table = this.content;
    const mask = table.length - 1;
    const sha = this.cols.sha;
    const at = slot * SHA_BYTES;
    for (let h = shaKey(sha, at) & mask; ; h = (h + 1) & mask) {
      const other = table[h]! - 1;
      if (other < 0) {
        table[h] = slot + 1;
        this.contentUsed++;
        return;
      }
      if (other === slot || sameSha(sha, other * SHA_BYTES, sha, at)) {
        table[h] = slot + 1;
        return;
      }
    }
  }
}

/** A power of two at least twice `n` (open addressing stays under half full). */
function tableSizeFor(n: number): number {
  let size = 64;
  while (size < n * 2) size *= 2;
  return size;
}
