import type { Handler } from './context';

export const memory: Handler<'memory'> = async () => ({
  rss: process.memoryUsage.rss(),
  maxRss: process.resourceUsage().maxRSS * 1024, // reported in KiB
});
