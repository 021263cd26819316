import sharp from 'sharp';
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { makeSample } from './lib/sample';
sharp.cache(false);
(async () => {
  const s = await makeSample(100, 1);
  const files = s.files.filter((f) => f.endsWith('.png'));
  const bufs = await Promise.all(files.map((f) => fs.readFile(f)));
  const cpu = async (name: string, fn: (b: Buffer) => Promise<unknown>) => {
    const c0 = process.cpuUsage(); const t0 = performance.now();
    for (const b of bufs) await fn(b);
    const c = process.cpuUsage(c0);
    console.log(name.padEnd(40), ((c.user + c.system) / 1e3 / bufs.length).toFixed(2), 'ms CPU/img', ((performance.now() - t0) / bufs.length).toFixed(2), 'ms wall/img');
  };
  sharp.concurrency(1);
  for (let k = 0; k < 2; k++) {
  await cpu('sha256', async (b) => createHash('sha256').update(b).digest('hex'));
  await cpu('metadata', async (b) => sharp(b, { limitInputPixels: false, pages: 1 }).metadata());
  await cpu('decode flatten raw', async (b) => sharp(b, { pages: 1, autoOrient: true }).flatten({ background: '#ffffff' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
  await cpu('decode+resize fused', async (b) => { const m = await sharp(b).metadata(); const sc = 256 / Math.min(m.width!, m.height!); return sharp(b, { pages: 1, autoOrient: true }).flatten({ background: '#ffffff' }).resize({ width: Math.floor(m.width! * sc), height: Math.floor(m.height! * sc), fit: 'fill', kernel: 'linear' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }); });
  await cpu('decode then resize (2 pipelines)', async (b) => { const r = await sharp(b, { pages: 1, autoOrient: true }).flatten({ background: '#ffffff' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }); const sc = 256 / Math.min(r.info.width, r.info.height); return sharp(r.data, { raw: { width: r.info.width, height: r.info.height, channels: r.info.channels as 3 } }).resize({ width: Math.floor(r.info.width * sc), height: Math.floor(r.info.height * sc), fit: 'fill', kernel: 'linear' }).raw().toBuffer(); });
  await cpu('decode + thumb from full', async (b) => { const r = await sharp(b, { pages: 1, autoOrient: true }).flatten({ background: '#ffffff' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }); return sharp(r.data, { raw: { width: r.info.width, height: r.info.height, channels: r.info.channels as 3 } }).resize({ width: 192, height: 192, fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' }).webp({ quality: 82, effort: 2 }).toBuffer(); });
  }
})();
