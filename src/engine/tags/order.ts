// The one order of an image's tags wherever they are listed (gallery tiles, `tag:` filters, Edit
// Tags, exports, XMP sidecars, the CLI): confirmed first, then suggested, then the vocabulary's
// tags that are not on the image, then removed ones; within each, the higher score first (no
// score last), then by name.
import type { TagState } from './store';

export interface OrderedTag {
  tag: string;
  /** "none": a vocabulary tag that is not on the image. */
  state: TagState | 'none';
  score?: number;
}

const STATE_RANK: Record<OrderedTag['state'], number> = { confirmed: 0, suggested: 1, none: 2, rejected: 3 };

/** Array.sort comparator for the order above. */
export function compareTags(a: OrderedTag, b: OrderedTag): number {
  return STATE_RANK[a.state] - STATE_RANK[b.state] || (b.score ?? -1) - (a.score ?? -1) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0);
}
