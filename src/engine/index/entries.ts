// The index's entries in memory as columns: typed arrays for the numbers and the content hash,
// one string per path, and no object per image. At 100k images an IndexEntry object per image
// (with its hex hash, boxed mtime and two map slots) cost ~30 MB of JS heap; the columns take
// ~7 MB. Objects are made only when a caller asks for one (`at`, `get`, `toArray`).
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
  readonly paths: string[];
  readonly size: Float64Array;
  readonly mtimeMs: Float64Array;
  readonly row: Int32Array;
  readonly width: Uint32Array;
  readonly height: Uint32Array;
  readonly sha: Uint8Array;

  constructor(readonly capacity: number, from?: Columns, count = 0) {
    this.paths = from ? from.paths : [];
    this.size = new Float64Array(capacity);
    this.mtimeMs = new Float64Array(capacity);
    this.row = new Int32Array(capacity);
    this.width = new Uint32Array(capacity);
    this.height = new Uint32Array(capacity);
    this.sha = new Uint8Array(capacity * SHA_BYTES);
    if (from) {
      this.size.set(from.size.subarray(0, count));
      this.mtimeMs.set(from.mtimeMs.subarray(0, count));
      this.row.set(from.row.subarray(0, count));
      this.width.set(from.width.subarray(0, count));
      this.height.set(from.height.subarray(0, count));
      this.sha.set(from.sha.subarray(0, count * SHA_BYTES));
    }
  }

  shaHex(slot: number): string {
    return Buffer.from(this.sha.buffer, this.sha.byteOffset + slot * SHA_BYTES, SHA_BYTES).toString('hex');
  }

  entry(slot: number): IndexEntry {
    return {
      path: this.paths[slot]!,
      size: this.size[slot]!,
      mtimeMs: this.mtimeMs[slot]!,
      sha256: this.shaHex(slot),
      row: this.row[slot]!,
      width: this.width[slot]!,
      height: this.height[slot]!,
    };
  }
}

class SortedEntries implements EntryList {
  private rowCache: Int32Array | undefined;
  constructor(private readonly cols: Columns, private readonly order: Int32Array) {}
  get length(): number {
    return this.order.length;
  }
  path(i: number): string {
    return this.cols.paths[this.order[i]!]!;
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

function shaBytes(hex: string): Uint8Array {
  if (!HEX64.test(hex)) throw new Error(`not a sha256: ${hex}`);
  return Buffer.from(hex, 'hex');
}

/** The writer's mutable entry table. */
export class EntryTable {
  private cols: Columns;
  /** Slots written so far (live and retired). */
  private slots = 0;
  /** Path -> its live slot. */
  private readonly bySlot = new Map<string, number>();
  /**
   * Content -> the slot last set with it (open addressing on the sha's first bytes, slot + 1,
   * 0 = empty). Kept for retired slots too: a deleted file's vector stays reusable for a move
   * until compaction.
   */
  private content: Int32Array = new Int32Array(64);
  private contentUsed = 0;
  private sorted: EntryList | undefined;
  private distinct: number | undefined;

  constructor(capacity = 64) {
    this.cols = new Columns(Math.max(16, capacity));
  }

  static from(entries: Iterable<IndexEntry>, capacity = 64): EntryTable {
    const table = new EntryTable(capacity);
    for (const e of entries) table.set(e);
    return table;
  }

  get size(): number {
    return this.bySlot.size;
  }

  /** Slots held, live and retired (what the repack bounds). */
  get slotCount(): number {
    return this.slots;
  }

  has(p: string): boolean {
    return this.bySlot.has(p);
  }

  get(p: string): IndexEntry | undefined {
    const slot = this.bySlot.get(p);
    return slot === undefined ? undefined : this.cols.entry(slot);
  }

  /** sha256 of the entry at `p`, without making the whole entry. */
  sha256Of(p: string): string | undefined {
    const slot = this.bySlot.get(p);
    return slot === undefined ? undefined : this.cols.shaHex(slot);
  }

  paths(): IterableIterator<string> {
    return this.bySlot.keys();
  }

  /** The rows live entries use. */
  liveRows(): Set<number> {
    const live = new Set<number>();
    for (const slot of this.bySlot.values()) live.add(this.cols.row[slot]!);
    return live;
  }

  /** Adds or replaces the entry for `entry.path`. */
  set(entry: IndexEntry): void {
    const sha = shaBytes(entry.sha256);
    if (this.slots === this.cols.capacity) this.grow();
    const slot = this.slots++;
    const c = this.cols;
    c.paths[slot] = entry.path;
    c.size[slot] = entry.size;
    c.mtimeMs[slot] = entry.mtimeMs;
    c.row[slot] = entry.row;
    c.width[slot] = entry.width;
    c.height[slot] = entry.height;
    c.sha.set(sha, slot * SHA_BYTES);
    this.bySlot.set(entry.path, slot);
    this.noteContent(slot);
    this.changed();
  }

  delete(p: string): boolean {
    if (!this.bySlot.delete(p)) return false;
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
      const seen = new Int32Array(tableSizeFor(this.bySlot.size));
      const mask = seen.length - 1;
      const sha = this.cols.sha;
      let n = 0;
      for (const slot of this.bySlot.values()) {
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
      const paths = this.cols.paths;
      const order = Int32Array.from(this.bySlot.values());
      // Sorting slot numbers by their paths (plain < order, as the manifest always had).
      const sortedSlots = Array.from(order).sort((a, b) => (paths[a]! < paths[b]! ? -1 : paths[a]! > paths[b]! ? 1 : 0));
      this.sorted = new SortedEntries(this.cols, Int32Array.from(sortedSlots));
    }
    return this.sorted;
  }

  /**
   * Renumber rows after vector compaction: `remap` gives each live row its new number. Retired
   * slots go, and with them the content of deleted files (their rows are gone too).
   */
  remapRows(remap: (row: number) => number): void {
    const live = [...this.bySlot.values()];
    this.repack(live);
    const row = this.cols.row;
    for (let slot = 0; slot < this.slots; slot++) row[slot] = remap(row[slot]!);
    this.changed();
  }

  private changed(): void {
    this.sorted = undefined;
    this.distinct = undefined;
  }

  private grow(): void {
    // Retired slots first: once they outnumber live ones, repack instead of growing.
    const retired = this.slots - this.bySlot.size;
    if (retired > 1024 && retired > this.bySlot.size) {
      const keep = new Set(this.bySlot.values());
      for (let h = 0; h < this.content.length; h++) if (this.content[h]! > 0) keep.add(this.content[h]! - 1);
      this.repack([...keep].sort((a, b) => a - b), true);
      if (this.slots < this.cols.capacity) return;
    }
    this.cols = new Columns(this.cols.capacity * 2, this.cols, this.slots);
  }

  /**
   * Copy `slots` (ascending) into fresh columns; the content index keeps its mapping when
   * `keepContent`, else is rebuilt from the live entries.
   */
  private repack(slots: number[], keepContent = false): void {
    const old = this.cols;
    const next = new Columns(Math.max(16, Math.ceil(slots.length * 1.25)));
    const moved = new Int32Array(this.slots).fill(-1);
    slots.forEach((from, to) => {
      moved[from] = to;
      next.paths[to] = old.paths[from]!;
      next.size[to] = old.size[from]!;
      next.mtimeMs[to] = old.mtimeMs[from]!;
      next.row[to] = old.row[from]!;
      next.width[to] = old.width[from]!;
      next.height[to] = old.height[from]!;
      next.sha.set(old.sha.subarray(from * SHA_BYTES, (from + 1) * SHA_BYTES), to * SHA_BYTES);
    });
    for (const [p, slot] of this.bySlot) this.bySlot.set(p, moved[slot]!);
    const oldContent = this.content;
    this.cols = next;
    this.slots = slots.length;
    this.content = new Int32Array(tableSizeFor(this.slots));
    this.contentUsed = 0;
    if (keepContent) {
      for (let h = 0; h < oldContent.length; h++) {
        const slot = oldContent[h]! - 1;
        if (slot >= 0 && moved[slot]! >= 0) this.noteContent(moved[slot]!);
      }
    } else {
      for (const slot of this.bySlot.values()) this.noteContent(slot);
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
