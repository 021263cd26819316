// Crash-safe, resumable shard writing. Samples are appended to `shards/NNNNN.tar.partial`;
// after each sample the partial file is fsynced and then a line is appended (and fsynced) to
// a journal. A full shard gets its end-of-archive blocks, is fsynced and renamed to
// `NNNNN.tar`, then journaled. On restart the journal says where the last complete sample
// ends; the partial is truncated there, so a crash loses at most the sample in flight.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SHARD_DIR, shardName, type ShardEntry } from './format';
import { END_OF_ARCHIVE } from './tar';
import { syncDir } from '../util/atomic';

/** One journal line. `i` is the input index; inputs are processed strictly in order. */
export type JournalRecord =
  | { t: 'sample'; i: number; shard: number; end: number; syn?: number; caption?: boolean }
  | { t: 'skip'; i: number; path: string; error: string }
  | { t: 'shard'; shard: number; sha256: string; bytes: number; samples: number };

export interface ResumeState {
  /** Next input index to process. */
  next: number;
  finalized: ShardEntry[];
  skipped: Array<{ path: string; error: string }>;
  /** Samples already in the current partial shard. */
  currentSamples: number;
  /** Journaled samples without synthetic captions / without a ground-truth caption. */
  withoutSyn: number;
  withoutCaption: number;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

export class ShardWriter {
  private journal?: fs.FileHandle;
  private partial?: fs.FileHandle;
  private shard = 0;
  private samplesInShard = 0;
  private end = 0;
  private readonly finalized: ShardEntry[] = [];
  private readonly skipped: Array<{ path: string; error: string }> = [];

  private constructor(
    private readonly out: string,
    private readonly journalPath: string,
    private readonly samplesPerShard: number,
  ) {}

  /** Opens (or recovers) the writer state of `out`. */
  static async open(out: string, journalPath: string, samplesPerShard: number): Promise<{ writer: ShardWriter; state: ResumeState }> {
    const w = new ShardWriter(out, journalPath, samplesPerShard);
    const state = await w.recover();
    return { writer: w, state };
  }

  private shardPath(index: number, partial: boolean): string {
    return path.join(this.out, SHARD_DIR, shardName(index) + (partial ? '.partial' : ''));
  }

  private async recover(): Promise<ResumeState> {
    await fs.mkdir(path.join(this.out, SHARD_DIR), { recursive: true });
    await fs.mkdir(path.dirname(this.journalPath), { recursive: true });
    const text = await fs.readFile(this.journalPath, 'utf8').catch(() => '');
    // Keep complete, parseable lines; a torn last line (crash mid-append) is dropped.
    let good = 0;
    const records: JournalRecord[] = [];
    for (const line of text.split('\n')) {
      if (good + line.length >= text.length) break; // no trailing newline: incomplete
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch {
        break;
      }
      good += line.length + 1;
    }
    let next = 0;
    let withoutSyn = 0;
    let withoutCaption = 0;
    for (const r of records) {
      if (r.t === 'shard') {
        if (r.shard !== this.finalized.length) throw new Error(`journal ${this.journalPath} finalizes shard ${r.shard} out of order`);
        this.finalized.push({ file: `${SHARD_DIR}/${shardName(r.shard)}`, sha256: r.sha256, bytes: r.bytes, samples: r.samples });
        this.samplesInShard = 0;
        this.end = 0;
      } else {
        if (r.i !== next) throw new Error(`journal ${this.journalPath} skips from input ${next} to ${r.i}`);
        next = r.i + 1;
        if (r.t === 'skip') this.skipped.push({ path: r.path, error: r.error });
        else {
          this.samplesInShard++;
          this.end = r.end;
          if (r.syn === 0) withoutSyn++;
          if (r.caption === false) withoutCaption++;
        }
      }
    }
    this.shard = this.finalized.length;
    this.journal = await fs.open(this.journalPath, 'a+');
    await this.journal.truncate(good);
    await this.journal.sync();

    const partialPath = this.shardPath(this.shard, true);
    const finalPath = this.shardPath(this.shard, false);
    if (this.samplesInShard > 0 && !(await exists(partialPath)) && (await exists(finalPath))) {
      // Crashed after renaming a full shard but before journaling it: journal it now.
      const bytes = (await fs.stat(finalPath)).size;
      if (bytes !== this.end + END_OF_ARCHIVE.length) throw new Error(`${finalPath} has ${bytes} bytes, the journal expects ${this.end + END_OF_ARCHIVE.length}`);
      await this.recordShard(finalPath, bytes);
    } else {
      if (await exists(finalPath)) await fs.rm(finalPath); // a stale shard from an abandoned layout
      this.partial = await fs.open(partialPath, 'a+');
      const size = (await this.partial.stat()).size;
      if (size < this.end) {
        throw new Error(`${partialPath} has ${size} bytes but the journal records ${this.end}; the output is damaged, start again with a fresh output folder`);
      }
      await this.partial.truncate(this.end);
      await this.partial.sync();
      // Crashed between the last sample of a full shard and its finalization.
      if (this.samplesInShard >= this.samplesPerShard) await this.finalizeShard();
    }
    return { next, finalized: [...this.finalized], skipped: [...this.skipped], currentSamples: this.samplesInShard, withoutSyn, withoutCaption };
  }

  private async appendJournal(r: JournalRecord): Promise<void> {
    await this.journal!.appendFile(JSON.stringify(r) + '\n');
    await this.journal!.datasync();
  }

  /** Appends one packed sample (tar members without end-of-archive) for input `index`. */
  async addSample(index: number, bytes: Uint8Array, counts: { syn: number; caption: boolean } = { syn: 1, caption: true }): Promise<void> {
    if (!this.partial) this.partial = await fs.open(this.shardPath(this.shard, true), 'a+');
    await this.partial.write(bytes, 0, bytes.length, this.end);
    await this.partial.datasync();
    this.end += bytes.length;
    this.samplesInShard++;
    await this.appendJournal({ t: 'sample', i: index, shard: this.shard, end: this.end, syn: counts.syn, caption: counts.caption });
    if (this.samplesInShard >= this.samplesPerShard) await this.finalizeShard();
  }

  async addSkip(index: number, relPath: string, error: string): Promise<void> {
    this.skipped.push({ path: relPath, error });
    await this.appendJournal({ t: 'skip', i: index, path: relPath, error });
  }

  /** Closes the current shard (if it has samples): end-of-archive, fsync, atomic rename, journal. */
  async finalizeShard(): Promise<void> {
    if (this.samplesInShard === 0) return;
    const partialPath = this.shardPath(this.shard, true);
    const finalPath = this.shardPath(this.shard, false);
    const p = this.partial ?? (await fs.open(partialPath, 'a+'));
    await p.write(END_OF_ARCHIVE, 0, END_OF_ARCHIVE.length, this.end);
    await p.truncate(this.end + END_OF_ARCHIVE.length);
    await p.sync();
    await p.close();
    this.partial = undefined;
    await fs.rename(partialPath, finalPath);
    await syncDir(path.dirname(finalPath));
    await this.recordShard(finalPath, this.end + END_OF_ARCHIVE.length);
  }

  private async recordShard(finalPath: string, bytes: number): Promise<void> {
    const sha256 = await sha256File(finalPath);
    const entry: ShardEntry = { file: `${SHARD_DIR}/${shardName(this.shard)}`, sha256, bytes, samples: this.samplesInShard };
    await this.appendJournal({ t: 'shard', shard: this.shard, sha256, bytes, samples: this.samplesInShard });
    this.finalized.push(entry);
    this.shard++;
    this.samplesInShard = 0;
    this.end = 0;
  }

  get shards(): ShardEntry[] {
    return [...this.finalized];
  }
  get skips(): Array<{ path: string; error: string }> {
    return [...this.skipped];
  }

  /** Releases file handles; an empty partial shard is removed. Safe to call twice. */
  async close(): Promise<void> {
    if (this.partial) {
      const size = (await this.partial.stat()).size;
      await this.partial.close();
      this.partial = undefined;
      if (size === 0 && this.samplesInShard === 0) await fs.rm(this.shardPath(this.shard, true), { force: true });
    }
    if (this.journal) {
      await this.journal.close();
      this.journal = undefined;
    }
  }
}
