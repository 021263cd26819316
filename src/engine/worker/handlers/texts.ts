import type { TextEmbedding } from '../../types';
import type { Handler } from './context';
import { CancelledError, requireModel } from './context';

export const embedTexts: Handler<'embedTexts'> = async (req, ctx) => {
  const model = requireModel(ctx.state);
  const batch = ctx.state.options.batchSize ?? 32;
  const out: TextEmbedding[] = [];
  // Chunks keep cancellation responsive for long lists of labels.
  for (let i = 0; i < req.texts.length; i += batch) {
    if (ctx.cancelled()) throw new CancelledError();
    const chunk = req.texts.slice(i, i + batch);
    const embeddings = await model.text.embed(chunk, model.tokenizer, batch);
    chunk.forEach((input, j) => out.push({ input, embedding: embeddings[j] }));
  }
  return out;
};
